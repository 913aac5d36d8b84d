// matrix_view.h — embedding weights as the text side reads them: a CPU float32 tensor viewed
// as a Matrix (text/matrix.h), without a copy.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "embtrain/text/matrix.h"

namespace embtrain {

// [V, D] float32 on the CPU, contiguous: what a Matrix can view and pickles write.
inline torch::Tensor cpu_weights(const torch::Tensor& weights) {
  return weights.detach().to(torch::kCPU, torch::kFloat32).contiguous();
}

// A view of `cpu` ([rows, dim] float32, contiguous, on the CPU; see cpu_weights), valid while
// the tensor lives.
inline Matrix matrix_view(const torch::Tensor& cpu) {
  TORCH_CHECK(cpu.dim() == 2 && cpu.is_cpu() && cpu.scalar_type() == torch::kFloat32 && cpu.is_contiguous(),
              "matrix_view needs a contiguous [rows, dim] float32 CPU tensor");
  return {cpu.size(0), cpu.size(1), cpu.data_ptr<float>()};
}

// `values` as an int64 CPU tensor ([N]).
inline torch::Tensor int64_tensor(const std::vector<int64_t>& values) {
  return torch::tensor(at::ArrayRef<int64_t>(values), torch::kInt64);
}

// An integer tensor's values, as int64 ([N] -> N values).
inline std::vector<int64_t> int64_values(const torch::Tensor& tensor) {
  const auto t = tensor.to(torch::kCPU, torch::kInt64).contiguous();
  return {t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel()};
}

}  // namespace embtrain
