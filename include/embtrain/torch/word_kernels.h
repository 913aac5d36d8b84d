// word_kernels.h — negative sampling's scores and their gradients, without autograd, on the
// shared pool.
//
// A word batch has P examples, each with an input side `hidden` [P, D] (a centre's input vector
// for skip-gram, the mean of its contexts' for CBOW) and T = 1 + negative words to score: the
// true word first, then its negatives, `words` [P, T] (rows of the output table [V, D]).
//   logits[p][t] = Σ_d output[words[p][t]][d] · hidden[p][d]
//   grad_output[p][t][d] = 0 + g[p][t] · hidden[p][d]        (g = ∂loss/∂logits, [P, T])
//   grad_hidden[p][d]    = Σ_t g[p][t] · output[words[p][t]][d]
// Every sum starts from +0 and adds in index order (d, then t) in float, one rounding per
// multiply and per add, no fused multiply-add (the file is compiled with -ffp-contract=off).
// That is exactly ATen's bmm where it runs its plain loop (baddbmm_cpu_kernel: D·T < 400 for the
// forward and for grad_hidden), which is how PyTorch scores these batches at small D; above that
// ATen hands bmm to BLAS, whose order is its own and differs between CPUs. The kernels keep the
// plain loop's order at every size, so a run's bits depend on neither the CPU's BLAS nor the
// thread count; tests/parity/word_reference.py writes the same arithmetic out in PyTorch ops
// (and checks it against torch.bmm where bmm is the plain loop).
//
// Each example is computed on one thread, whole, into its own slots: the pool's split over
// examples changes no bit.
//
// Thread-safety: called from the training thread; the tensors must not change meanwhile.
#pragma once

#include <torch/torch.h>

namespace embtrain {

// logits [P, T] float for `hidden` [P, D] float, `output` [V, D] float and `words` [P, T] int64,
// all contiguous on CPU.
torch::Tensor score_words(const torch::Tensor& hidden, const torch::Tensor& output, const torch::Tensor& words);

// The gradients given `g` [P, T], the loss's gradient with respect to the logits:
// ∂loss/∂hidden [P, D];
torch::Tensor hidden_grads(const torch::Tensor& g, const torch::Tensor& output, const torch::Tensor& words,
                           const torch::Tensor& hidden);
// the output rows' gradients [P·T, D], one per use in the order of words.view(-1) (autograd's
// sparse lookup gradient, uncoalesced);
torch::Tensor output_grads(const torch::Tensor& g, const torch::Tensor& hidden, const torch::Tensor& output,
                           const torch::Tensor& words);
// and the same coalesced as coalesce() would make it (sparse_grad.h), without the [P·T, D]
// buffer: the output table's sparse gradient.
torch::Tensor coalesced_output_grads(const torch::Tensor& g, const torch::Tensor& hidden, const torch::Tensor& output,
                                     const torch::Tensor& words);

}  // namespace embtrain
