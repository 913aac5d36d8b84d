// sgd.h — plain SGD (torch.optim.SGD at lr alone) with its sparse update done natively.
//
// torch.optim.SGD moves a parameter by p.add_(grad, alpha=-lr). For a sparse gradient ATen
// walks the gradient's uses in order and adds each one's row with an axpy, y[d] += a · x[d],
// dispatched once per use (add_dense_sparse_worker_*_cpu). On word batches (a few thousand
// uses of 100 floats) the dispatch and the per-thread scans of every use cost more than the
// adds. Sgd does the same adds in the same order, each row's uses one after another, so the
// bits are ATen's:
// - ATen's axpy kernel is compiled per CPU capability, and GCC fuses `y += a * x` into one
//   fused multiply-add in its AVX2 and AVX-512 builds (one rounding), not in the default one
//   (two roundings). Sgd follows the capability ATen runs with (at::get_cpu_capability(),
//   which ATEN_CPU_CAPABILITY overrides for both): fused for AVX2 and AVX512, else not.
//   Measured on the 2.13 wheel: 0 of 100,000 elements differ in each mode.
// - A dense gradient, a non-CPU or non-float parameter, and any CPU that is not x86-64 take
//   ATen's own add_.
// Rows are split over the pool by row range (each thread applies its rows' uses in order), so
// the thread count changes no bit. The state (none) and checkpoints are torch::optim::SGD's.
//
// Thread-safety: step() from the training thread only.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace embtrain {

class Sgd : public torch::optim::SGD {
 public:
  Sgd(std::vector<torch::Tensor> params, double lr);
  torch::Tensor step(LossClosure closure = nullptr) override;
};

// p += -lr · grad for a sparse `grad` (coalesced or not) of a contiguous float CPU `p`, use by
// use in the gradient's order, with ATen's rounding on this CPU (above). Exposed for tests.
void sparse_sgd_update(torch::Tensor& p, const torch::Tensor& grad, double lr);

// True where ATen's axpy rounds once (a fused multiply-add): its AVX2 and AVX512 kernels.
bool aten_axpy_fused();

}  // namespace embtrain
