// float_sqrt.cpp — aten_sqrt: MKL's vmsSqrt as LibTorch calls it, or at::sqrt (float_sqrt.h).
#include "embtrain/torch/float_sqrt.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace embtrain {
namespace {

// MKL's LP64 vmsSqrt(n, a, r, mode) and the mode ATen's vml.h passes it.
using VmsSqrt = void (*)(int, const float*, float*, long long);
constexpr long long kVmlHa = 0x2, kVmlFtzDazOff = 0x140000, kVmlErrmodeIgnore = 0x100;
constexpr long long kAtenMode = kVmlHa | kVmlFtzDazOff | kVmlErrmodeIgnore;

// Values that exercise every path of a square root: normal, tiny, denormal, zero, huge, inf.
std::vector<float> probe_values() {
  std::vector<float> values;
  for (int i = 0; i < 4096; ++i) values.push_back(std::ldexp(1.0f + static_cast<float>(i) / 4096.0f, (i % 61) - 40));
  values.push_back(0.0f);
  values.push_back(std::numeric_limits<float>::denorm_min() * 3);
  values.push_back(std::numeric_limits<float>::max());
  return values;
}

VmsSqrt checked_vms_sqrt() {
  const auto found = reinterpret_cast<VmsSqrt>(::dlsym(RTLD_DEFAULT, "vmsSqrt"));
  if (found == nullptr) return nullptr;
  std::vector<float> in = probe_values(), mine(in.size());
  found(static_cast<int>(in.size()), in.data(), mine.data(), kAtenMode);
  torch::NoGradGuard no_grad;
  const torch::Tensor theirs = torch::from_blob(in.data(), {static_cast<int64_t>(in.size())}, torch::kFloat).sqrt();
  return std::memcmp(mine.data(), theirs.data_ptr<float>(), in.size() * sizeof(float)) == 0 ? found : nullptr;
}

VmsSqrt direct() {
  static const VmsSqrt f = checked_vms_sqrt();
  return f;
}

}  // namespace

bool aten_sqrt_is_direct() { return direct() != nullptr; }

void aten_sqrt(float* out, const float* in, int64_t n) {
  if (n <= 0) return;
  const VmsSqrt f = direct();
  if (f != nullptr && n <= std::numeric_limits<int>::max()) {
    f(static_cast<int>(n), in, out, kAtenMode);
    return;
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor source = torch::from_blob(const_cast<float*>(in), {n}, torch::kFloat);
  torch::Tensor target = torch::from_blob(out, {n}, torch::kFloat);
  at::sqrt_out(target, source);
}

}  // namespace embtrain
