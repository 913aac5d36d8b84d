// batches.h — what a step or an evaluation feeds the model: a slice of a Corpus as tensors on
// the model's device (flatten: [B, L] ids and a padding mask; bags: [T] ids and [B] offsets;
// targets [B] or [B, C]), and a batch's probabilities counted into a Tally.
#pragma once

#include <torch/torch.h>

#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/metrics.h"
#include "embtrain/torch/model.h"

namespace embtrain {

// Sentences `indices[0..count)` of `corpus` as a batch on `device`; a multi-label corpus gets
// [B, outputs] multi-hot targets.
Batch make_batch(const Corpus& corpus, const int64_t* indices, int64_t count,
                 const ModelConfig& model, torch::Device device, int64_t outputs = 1);

// Adds a batch's probabilities ([B] or [B, C], any device) for examples indices[0..count) of
// `corpus` to `tally` (the loss is added by the caller).
void tally_batch(Tally& tally, const torch::Tensor& probabilities, const Corpus& corpus,
                 const int64_t* indices, int64_t count);

}  // namespace embtrain
