// word_kernels.cpp — negative sampling's scores and gradients (word_kernels.h).
#include "embtrain/torch/word_kernels.h"

#include <algorithm>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// The dots [first, last) of the flattened [P·T] logits, each summed from +0 in d order.
// Eight independent sums run side by side, so the adds' latency overlaps instead of chaining.
void score_range_scalar(const WordBatchView& b, int64_t first, int64_t last, float* logits) {
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

#if defined(__x86_64__)
// The same sums with AVX2, a lane per dot: 8 elements of 8 rows are multiplied as they lie
// (one vector per row), the 8 products vectors transposed (vector k then holds element d0 + k
// of each row) and added to the lanes' sums in k order. Every lane still adds its own products
// from +0 in d order, each multiply and add rounded apart (no FMA): the scalar loop's bits.
struct Lanes8 {
  const float* a[8];
  const float* h[8];
  __m256 sum;
};

__attribute__((target("avx2"))) inline void add_block(Lanes8& l, int64_t d0) {
  __m256 p[8];
  for (int j = 0; j < 8; ++j) p[j] = _mm256_mul_ps(_mm256_loadu_ps(l.a[j] + d0), _mm256_loadu_ps(l.h[j] + d0));
  const __m256 t0 = _mm256_unpacklo_ps(p[0], p[1]), t1 = _mm256_unpackhi_ps(p[0], p[1]);
  const __m256 t2 = _mm256_unpacklo_ps(p[2], p[3]), t3 = _mm256_unpackhi_ps(p[2], p[3]);
  const __m256 t4 = _mm256_unpacklo_ps(p[4], p[5]), t5 = _mm256_unpackhi_ps(p[4], p[5]);
  const __m256 t6 = _mm256_unpacklo_ps(p[6], p[7]), t7 = _mm256_unpackhi_ps(p[6], p[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  // Column k: element d0 + k of rows 0..7, added in k order.
  l.sum = _mm256_add_ps(l.sum, _mm256_permute2f128_ps(s0, s4, 0x20));
  l.sum = _mm256_add_ps(l.sum, _mm256_permute2f128_ps(s1, s5, 0x20));
  l.sum = _mm256_add_ps(l.sum, _mm256_permute2f128_ps(s2, s6, 0x20));
  l.sum = _mm256_add_ps(l.sum, _mm256_permute2f128_ps(s3, s7, 0x20));
  l.sum = _mm256_add_ps(l.sum, _mm256_permute2f128_ps(s0, s4, 0x31));
  l.sum = _mm256_add_ps(l.sum, _mm256_permute2f128_ps(s1, s5, 0x31));
  l.sum = _mm256_add_ps(l.sum, _mm256_permute2f128_ps(s2, s6, 0x31));
  l.sum = _mm256_add_ps(l.sum, _mm256_permute2f128_ps(s3, s7, 0x31));
}

// Lanes i .. i + 8·G: G groups of 8 interleaved (their chains of adds overlap), then each
// lane's last D mod 8 products in scalar, in d order.
template <int G>
__attribute__((target("avx2"))) inline void score_groups(const WordBatchView& b, int64_t i, float* logits) {
  Lanes8 l[G];
  for (int g = 0; g < G; ++g) {
    for (int j = 0; j < 8; ++j) {
      l[g].a[j] = b.output_row(i + 8 * g + j);
      l[g].h[j] = b.hidden_row(i + 8 * g + j);
    }
    l[g].sum = _mm256_setzero_ps();
  }
  const int64_t body = b.dim / 8 * 8;
  for (int64_t d0 = 0; d0 < body; d0 += 8) {
    for (int g = 0; g < G; ++g) add_block(l[g], d0);
  }
  for (int g = 0; g < G; ++g) {
    float sum[8];
    _mm256_storeu_ps(sum, l[g].sum);
    for (int j = 0; j < 8; ++j) {
      for (int64_t d = body; d < b.dim; ++d) sum[j] += l[g].a[j][d] * l[g].h[j][d];
      logits[i + 8 * g + j] = sum[j];
    }
  }
}

__attribute__((target("avx2"))) void score_range_avx2(const WordBatchView& b, int64_t first, int64_t last,
                                                       float* logits) {
  int64_t i = first;
  for (; i + 16 <= last; i += 16) {
    // The next 16 dots' output rows, scattered over a table larger than the cache, are asked
    // for while these are summed (a hint: no value depends on it).
    for (int64_t j = i + 16; j < std::min(last, i + 32); ++j) {
      const float* row = b.output_row(j);
      for (int64_t d = 0; d < b.dim; d += 16) __builtin_prefetch(row + d, 0);
    }
    score_groups<2>(b, i, logits);
  }
  for (; i + 8 <= last; i += 8) score_groups<1>(b, i, logits);
  score_range_scalar(b, i, last, logits);
}
#endif

void score_range(const WordBatchView& b, int64_t first, int64_t last, float* logits) {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) {
    score_range_avx2(b, first, last, logits);
    return;
  }
#endif
  score_range_scalar(b, first, last, logits);
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
