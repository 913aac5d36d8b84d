// word_kernels.cpp — negative sampling's scores and gradients (word_kernels.h).
#include "embtrain/torch/word_kernels.h"

#include <vector>

#include "embtrain/text/threads.h"
#include "embtrain/torch/sparse_grad.h"

namespace embtrain {
namespace {

// Shapes and raw pointers of one batch (all contiguous float / int64).
struct WordBatchView {
  int64_t examples, targets, dim;  // P, T, D
  const float* hidden;             // [P, D]
  const float* output;             // [V, D]
  const int64_t* words;            // [P, T]

  const float* hidden_row(int64_t flat) const { return hidden + (flat / targets) * dim; }
  const float* output_row(int64_t flat) const { return output + words[flat] * dim; }
};

WordBatchView view_of(const torch::Tensor& hidden, const torch::Tensor& output, const torch::Tensor& words) {
  TORCH_CHECK(hidden.is_contiguous() && output.is_contiguous() && words.is_contiguous(), "word kernels need contiguous tensors");
  TORCH_CHECK(hidden.scalar_type() == torch::kFloat && output.scalar_type() == torch::kFloat &&
                  words.scalar_type() == torch::kInt64,
              "word kernels take float tables and int64 words");
  return {words.size(0), words.size(1), hidden.size(1), hidden.data_ptr<float>(), output.data_ptr<float>(),
          words.data_ptr<int64_t>()};
}

// Runs fn(begin, end) over the examples, split on the pool when the batch pays for it.
template <typename Fn>
void over_examples(const WordBatchView& b, const Fn& fn) {
  ThreadPool& pool = shared_pool();
  const int64_t per_example = b.targets * b.dim;
  if (pool.worth_splitting(b.examples * per_example)) {
    pool.run(b.examples, pool.grain_for(per_example), fn);
  } else {
    fn(0, b.examples);
  }
}

// The dots [first, last) of the flattened [P·T] logits. Eight independent sums run side by side
// (each still in d order), so the adds' latency overlaps instead of chaining.
void score_range(const WordBatchView& b, int64_t first, int64_t last, float* logits) {
  constexpr int kLanes = 8;
  int64_t i = first;
  for (; i + kLanes <= last; i += kLanes) {
    const float* a[kLanes];
    const float* h[kLanes];
    float sum[kLanes];
    for (int j = 0; j < kLanes; ++j) {
      a[j] = b.output_row(i + j);
      h[j] = b.hidden_row(i + j);
      sum[j] = 0.0f;
    }
    for (int64_t d = 0; d < b.dim; ++d) {
#pragma GCC unroll 8
      for (int j = 0; j < kLanes; ++j) sum[j] += a[j][d] * h[j][d];
    }
    for (int j = 0; j < kLanes; ++j) logits[i + j] = sum[j];
  }
  for (; i < last; ++i) {
    const float* a = b.output_row(i);
    const float* h = b.hidden_row(i);
    float sum = 0.0f;
    for (int64_t d = 0; d < b.dim; ++d) sum += a[d] * h[d];
    logits[i] = sum;
  }
}

void check_grad(const torch::Tensor& g, const WordBatchView& b) {
  TORCH_CHECK(g.is_contiguous() && g.scalar_type() == torch::kFloat && g.numel() == b.examples * b.targets,
              "word kernels: g must be [P, T] float");
}

// grad_hidden[p] = Σ_t g[p][t] · output[words[p][t]], from +0, t in order (vectorised over d).
__attribute__((target_clones("avx2", "default"))) void hidden_grad_range(const WordBatchView& b, const float* g,
                                                                          int64_t begin, int64_t end, float* grads) {
  const int64_t dim = b.dim;
  for (int64_t p = begin; p < end; ++p) {
    float* __restrict row = grads + p * dim;
    for (int64_t d = 0; d < dim; ++d) row[d] = 0.0f;
    for (int64_t t = 0; t < b.targets; ++t) {
      const int64_t flat = p * b.targets + t;
      const float gt = g[flat];
      const float* __restrict o = b.output_row(flat);
      for (int64_t d = 0; d < dim; ++d) row[d] += o[d] * gt;
    }
  }
}

// grad_output[p·T + t] = 0 + g[p][t] · hidden[p]: +0 first, as bmm's loop (a product of -0 is
// +0 there; the output table starts at zeros).
__attribute__((target_clones("avx2", "default"))) void output_grad_range(const WordBatchView& b, const float* g,
                                                                          int64_t begin, int64_t end, float* grads) {
  const int64_t dim = b.dim;
  for (int64_t flat = begin * b.targets; flat < end * b.targets; ++flat) {
    const float gt = g[flat];
    const float* __restrict h = b.hidden_row(flat);
    float* __restrict row = grads + flat * dim;
    for (int64_t d = 0; d < dim; ++d) row[d] = 0.0f + gt * h[d];
  }
}

}  // namespace

torch::Tensor score_words(const torch::Tensor& hidden, const torch::Tensor& output, const torch::Tensor& words) {
  const WordBatchView b = view_of(hidden, output, words);
  torch::Tensor logits = torch::empty({b.examples, b.targets}, torch::kFloat);  // [P, T]
  float* out = logits.data_ptr<float>();
  over_examples(b, [&](int64_t begin, int64_t end) { score_range(b, begin * b.targets, end * b.targets, out); });
  return logits;
}

namespace {

// `rows_per_example` rows [P·rows, D] of gradients, each example's written by `range_kernel`.
template <typename RangeKernel>
torch::Tensor grads_of(const torch::Tensor& g, const WordBatchView& b, int64_t rows_per_example,
                       const RangeKernel& range_kernel) {
  check_grad(g, b);
  torch::Tensor grads = torch::empty({b.examples * rows_per_example, b.dim}, torch::kFloat);
  const float* gp = g.data_ptr<float>();
  float* out = grads.data_ptr<float>();
  over_examples(b, [&](int64_t begin, int64_t end) { range_kernel(b, gp, begin, end, out); });
  return grads;
}

}  // namespace

torch::Tensor hidden_grads(const torch::Tensor& g, const torch::Tensor& output, const torch::Tensor& words,
                           const torch::Tensor& hidden) {
  return grads_of(g, view_of(hidden, output, words), 1, hidden_grad_range);  // [P, D]
}

torch::Tensor output_grads(const torch::Tensor& g, const torch::Tensor& hidden, const torch::Tensor& output,
                           const torch::Tensor& words) {
  return grads_of(g, view_of(hidden, output, words), words.size(1), output_grad_range);  // [P·T, D]
}

torch::Tensor coalesced_output_grads(const torch::Tensor& g, const torch::Tensor& hidden, const torch::Tensor& output,
                                     const torch::Tensor& words) {
  const WordBatchView b = view_of(hidden, output, words);
  check_grad(g, b);
  const int64_t uses = b.examples * b.targets;
  std::vector<int64_t> example_of(static_cast<size_t>(uses));  // [P·T]: use (p, t) -> p
  for (int64_t u = 0; u < uses; ++u) example_of[static_cast<size_t>(u)] = u / b.targets;
  return coalesced_grad(b.words, uses, {hidden, example_of.data(), g.data_ptr<float>(), /*from_zero=*/true},
                        output.size(0));
}

}  // namespace embtrain
