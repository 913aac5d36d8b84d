// row_steps.h — the report's per-row step counts: after each step's backward, which rows the
// batch held (TrainStats::batch_steps) and which got a non-zero gradient (grad_steps).
// Thread-safety: called from the training thread; count_grad_rows splits over the pool, one
// row per thread.
#pragma once

#include <cstdint>
#include <vector>

#include "embtrain/torch/trainer.h"

namespace embtrain {

// A coalesced CPU gradient whose rows are exactly the batch's distinct tokens (the pooled
// model's own backward, one process): both counts from its rows.
void count_grad_rows(const torch::Tensor& grad, TrainStats& stats);

// Any other gradient: the batch's tokens from the corpus (`stamp` marks a row counted at
// `step`; `unique_rows` is scratch), then the rows of `grad` that are non-zero.
void count_rows(const Corpus& corpus, const int64_t* indices, int64_t count, const torch::Tensor& grad,
                int64_t max_length, bool truncate, TrainStats& stats, std::vector<int64_t>& stamp, int64_t step,
                std::vector<int64_t>& unique_rows);

}  // namespace embtrain
