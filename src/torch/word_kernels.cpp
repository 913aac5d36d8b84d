// word_kernels.cpp — negative sampling's scores and gradients (word_kernels.h).
#include "embtrain/torch/word_kernels.h"

#include "embtrain/text/threads.h"

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

}  // namespace

torch::Tensor score_words(const torch::Tensor& hidden, const torch::Tensor& output, const torch::Tensor& words) {
  const WordBatchView b = view_of(hidden, output, words);
  torch::Tensor logits = torch::empty({b.examples, b.targets}, torch::kFloat);  // [P, T]
  float* out = logits.data_ptr<float>();
  over_examples(b, [&](int64_t begin, int64_t end) { score_range(b, begin * b.targets, end * b.targets, out); });
  return logits;
}

WordGrads backprop_words(const torch::Tensor& g, const torch::Tensor& hidden, const torch::Tensor& output,
                         const torch::Tensor& words) {
  const WordBatchView b = view_of(hidden, output, words);
  TORCH_CHECK(g.is_contiguous() && g.scalar_type() == torch::kFloat && g.numel() == b.examples * b.targets,
              "word kernels: g must be [P, T] float");
  WordGrads grads{torch::empty({b.examples, b.dim}, torch::kFloat),
                  torch::empty({b.examples * b.targets, b.dim}, torch::kFloat)};
  const float* gp = g.data_ptr<float>();
  float* gh = grads.hidden.data_ptr<float>();
  float* go = grads.output.data_ptr<float>();
  const int64_t dim = b.dim, targets = b.targets;
  over_examples(b, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const float* h = b.hidden + p * dim;
      float* hidden_grad = gh + p * dim;
      for (int64_t d = 0; d < dim; ++d) hidden_grad[d] = 0.0f;
      for (int64_t t = 0; t < targets; ++t) {
        const int64_t flat = p * targets + t;
        const float gt = gp[flat];
        const float* o = b.output_row(flat);
        float* output_grad = go + flat * dim;
        // +0 first, as bmm's loop: a product of -0 becomes +0 (the output table starts at 0).
        for (int64_t d = 0; d < dim; ++d) output_grad[d] = 0.0f + gt * h[d];
        for (int64_t d = 0; d < dim; ++d) hidden_grad[d] += o[d] * gt;
      }
    }
  });
  return grads;
}

}  // namespace embtrain
