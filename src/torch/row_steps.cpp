// row_steps.cpp — batch_steps and grad_steps from a step's gradient (row_steps.h).
#include "embtrain/torch/row_steps.h"

#include <algorithm>

#include "embtrain/text/threads.h"

namespace embtrain {

namespace {

// A coalesced CPU sparse gradient: grad_steps for its rows that are non-zero, and with
// `batch_steps_too` batch_steps for every one of its rows; split over the pool. Each row is
// distinct, so each counter is written by one thread.
void count_sparse_rows(const torch::Tensor& grad, TrainStats& stats, bool batch_steps_too) {
  const auto rows = grad._indices()[0].contiguous();                  // [K]
  const auto values = grad._values().to(torch::kFloat32).contiguous();  // [K, D]
  const int64_t* r = rows.data_ptr<int64_t>();
  const float* v = values.data_ptr<float>();
  const int64_t dim = values.size(1);
  const auto count = [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const auto row = static_cast<size_t>(r[k]);
      if (batch_steps_too) ++stats.batch_steps[row];
      stats.grad_steps[row] += std::any_of(v + k * dim, v + (k + 1) * dim, [](float x) { return x != 0; });
    }
  };
  ThreadPool& pool = shared_pool();
  const int64_t k_rows = rows.size(0);
  if (pool.worth_splitting(k_rows * dim)) {
    pool.run_interleaved(k_rows, pool.grain_for(dim), count);  // sorted by id: see optimizer.cpp
  } else {
    count(0, k_rows);
  }
}

}  // namespace

// The gradient's rows are exactly the batch's distinct tokens: both counts from them.
void count_grad_rows(const torch::Tensor& grad, TrainStats& stats) { count_sparse_rows(grad, stats, true); }

// Adds the batch's tokens to batch_steps, and to grad_steps those whose
// gradient row is non-zero after backward().
void count_rows(const Corpus& corpus, const int64_t* indices, int64_t count,
                const torch::Tensor& grad, int64_t max_length, bool truncate, TrainStats& stats,
                std::vector<int64_t>& stamp, int64_t step, std::vector<int64_t>& unique_rows) {
  unique_rows.clear();
  for (int64_t b = 0; b < count; ++b) {
    const int64_t start = corpus.offsets[static_cast<size_t>(indices[b])];
    const int64_t n = truncate ? std::min(max_length, corpus.length(indices[b]))
                               : corpus.length(indices[b]);
    for (int64_t t = 0; t < n; ++t) {
      const int64_t id = corpus.ids[static_cast<size_t>(start + t)];
      if (stamp[static_cast<size_t>(id)] != step) {
        stamp[static_cast<size_t>(id)] = step;
        unique_rows.push_back(id);
        ++stats.batch_steps[static_cast<size_t>(id)];
      }
    }
  }
  if (!grad.defined() || unique_rows.empty()) return;
  torch::Tensor nonzero;
  if (!grad.is_cpu()) {
    // Counted on the device; merged into grad_steps once per epoch.
    if (grad.is_sparse()) {
      stats.device_grad_steps.index_add_(0, grad._indices()[0],
                                         grad._values().ne(0).any(1).to(torch::kInt64));
    } else {
      const auto rows = torch::from_blob(unique_rows.data(),
                                         {static_cast<int64_t>(unique_rows.size())}, torch::kInt64)
                            .to(grad.device());
      stats.device_grad_steps.index_add_(0, rows, grad.index_select(0, rows).ne(0).any(1).to(torch::kInt64));
    }
    return;
  }
  if (grad.is_sparse()) {
    // A sparse gradient holds exactly the batch's rows; the caller coalesced it.
    count_sparse_rows(grad, stats, /*batch_steps_too=*/false);
    return;
  }
  const auto rows = torch::from_blob(unique_rows.data(), {static_cast<int64_t>(unique_rows.size())},
                                     torch::kInt64);
  nonzero = grad.index_select(0, rows).ne(0).any(1);  // [K] bool
  const auto* flags = nonzero.data_ptr<bool>();
  for (size_t i = 0; i < unique_rows.size(); ++i) {
    if (flags[i]) ++stats.grad_steps[static_cast<size_t>(unique_rows[i])];
  }
}

}  // namespace embtrain
