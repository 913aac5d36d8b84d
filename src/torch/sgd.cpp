// sgd.cpp — Sgd::step and the native sparse update (sgd.h). Compiled with -ffp-contract=off:
// the unfused loop must round its multiply and its add apart, as ATen's default kernel does.
#include "embtrain/torch/sgd.h"

#include <ATen/Version.h>

#include <cmath>

#include "embtrain/text/threads.h"
#include "embtrain/torch/optimizer.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace embtrain {
namespace {

// One use: y[d] <- y[d] + a · x[d], two roundings (ATen's DEFAULT axpy).
void axpy_plain(int64_t n, float a, const float* __restrict x, float* __restrict y) {
  for (int64_t d = 0; d < n; ++d) y[d] = y[d] + a * x[d];
}

#if defined(__x86_64__)
// One use: y[d] <- fma(a, x[d], y[d]), one rounding (ATen's AVX2 and AVX512 axpy, which GCC
// contracts). A fused multiply-add is exactly rounded, so vector and scalar lanes agree.
__attribute__((target("avx2,fma"))) void axpy_fused(int64_t n, float a, const float* __restrict x,
                                                      float* __restrict y) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t d = 0;
  for (; d + 8 <= n; d += 8) {
    _mm256_storeu_ps(y + d, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + d), _mm256_loadu_ps(y + d)));
  }
  for (; d < n; ++d) y[d] = std::fma(a, x[d], y[d]);
}
#endif

bool native_sparse(const torch::Tensor& p, const torch::Tensor& grad) {
#if defined(__x86_64__)
  return grad.is_sparse() && p.is_cpu() && p.scalar_type() == torch::kFloat && p.is_contiguous() &&
         grad.scalar_type() == torch::kFloat && grad.sparse_dim() == 1 && p.dim() == 2;
#else
  (void)p;
  (void)grad;
  return false;
#endif
}

}  // namespace

bool aten_axpy_fused() {
  static const bool fused = [] {
    const std::string capability = at::get_cpu_capability();
    return capability == "AVX2" || capability == "AVX512";
  }();
  return fused;
}

void sparse_sgd_update(torch::Tensor& p, const torch::Tensor& grad, double lr) {
  const torch::Tensor rows = grad._indices()[0].contiguous();     // [uses]
  const torch::Tensor values = grad._values().contiguous();       // [uses, D]
  const int64_t uses = rows.numel(), dim = p.size(1), table_rows = p.size(0);
  const int64_t* row = rows.data_ptr<int64_t>();
  const float* x = values.data_ptr<float>();
  float* w = p.data_ptr<float>();
  const auto a = static_cast<float>(-lr);  // the Scalar alpha = -lr, as the kernel casts it
  const bool fused = aten_axpy_fused();
  // Rows [r0, r1): their uses, in order.
  const auto rows_in = [&](int64_t r0, int64_t r1) {
    for (int64_t u = 0; u < uses; ++u) {
      const int64_t r = row[u];
      if (r < r0 || r >= r1) continue;
#if defined(__x86_64__)
      if (fused) {
        axpy_fused(dim, a, x + u * dim, w + r * dim);
        continue;
      }
#endif
      axpy_plain(dim, a, x + u * dim, w + r * dim);
    }
  };
  ThreadPool& pool = shared_pool();
  if (pool.worth_splitting(uses * dim)) {
    pool.run(table_rows, 1, rows_in);
  } else {
    rows_in(0, table_rows);
  }
}

Sgd::Sgd(std::vector<torch::Tensor> params, double lr)
    : torch::optim::SGD(std::move(params), torch::optim::SGDOptions(lr)) {}

torch::Tensor Sgd::step(LossClosure closure) {
  const torch::Tensor loss = closure_loss(closure);
  torch::NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const double lr = static_cast<const torch::optim::SGDOptions&>(group.options()).lr();
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      if (native_sparse(p, p.grad())) {
        sparse_sgd_update(p, p.grad(), lr);
      } else {
        p.add_(p.grad(), -1 * lr);  // torch::optim::SGD's update with no momentum or decay
      }
    }
  }
  return loss;
}

}  // namespace embtrain
