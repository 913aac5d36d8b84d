// draws.h (torch) — a table's seeded draws, split over the shared pool with the bits of one
// ATen call.
//
// Why: a table's initial values are drawn from the default CPU generator (one mt19937) in one
// serial ATen call, as the Python reference draws them: nn.Embedding(V, D) fills N(0, 1), and
// model.init then overwrites it. For a 1M-row or a 2M-bucket table that serial call was most
// of a run's set-up, and the normal values that the next draw overwrites were computed for
// nothing.
//
// How the bits stay those of one call: for a float32 tensor, ATen's uniform_ takes one 32-bit
// draw per element, in element order; its normal_ (sizes >= 16, contiguous) first fills every
// element with such a uniform, then turns each block of 16 into 16 normals, and when the size
// is not a multiple of 16 draws 16 more uniforms to redo the last 16. A range's values thus
// depend only on the generator's position at the range's start. Each pool thread advances a
// copy of the engine to its range's start (discard: the mt19937 recurrence without output)
// and runs ATen's own kernel on its range with that copy, so every CPU capability's kernel
// (AVX2's Cephes Box-Muller, the scalar one) is the one a single call would use; normal_'s
// ranges start at multiples of 16 and the last one ends the tensor. The default generator is
// left where the single call leaves it.
//
// Limits: only contiguous float32 CPU tensors of at least kSplitDraws elements take the split
// path; anything else is one ATen call, as before. Callers hold no lock on the default
// generator. Thread-safety: called from the training thread only (it runs the shared pool).
#pragma once

#include <ATen/core/MT19937RNGEngine.h>
#include <torch/torch.h>

#include <cstdint>

namespace embtrain {

// From this many elements a table's draws are split (and a skipped normal_ not computed).
inline constexpr int64_t kSplitDraws = int64_t{1} << 16;

// `engine` as `draws` calls of engine() leave it, without tempering or returning them.
void discard(at::mt19937& engine, uint64_t draws);

// t.uniform_(from, to) and t.normal_(mean, std) on the default generator, same bits.
void draw_uniform(torch::Tensor t, double from, double to);
void draw_normal(torch::Tensor t, double mean, double std);

// The default generator as t.normal_() on `numel` float32 elements leaves it: the values a
// later draw overwrites (nn.Embedding's N(0, 1) under model.init, the word model's tables)
// are never computed.
void skip_normal(int64_t numel);

}  // namespace embtrain
