// test_float_sqrt.cpp — aten_sqrt against at::sqrt, tolerance 0: random values (normal, tiny,
// denormal) at every offset and tile length, in place and not; values known in advance; and
// that the x86 wheel's MKL function is the one called.
// torch before Catch2: glog's CHECK would otherwise replace Catch2's.
#include <ATen/Config.h>
#include <torch/torch.h>

#include "../catch.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "embtrain/torch/float_sqrt.h"

using namespace embtrain;

namespace {

bool same_bits(const float* a, const float* b, int64_t n) {
  return std::memcmp(a, b, static_cast<size_t>(n) * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("aten_sqrt gives at::sqrt's bits at any offset and length") {
  torch::manual_seed(3);
  const int64_t n = 200003;
  // Squares of N(0, 1) scaled over 2^-140 .. 2^20: second moments of every size, denormals too.
  torch::Tensor x = torch::randn({n}).square() * torch::pow(2.0, torch::randint(-140, 20, {n}).to(torch::kFloat));
  x.index_put_({torch::arange(0, n, 1000)}, 0.0);
  const torch::Tensor expected = x.sqrt();
  std::vector<float> in(x.data_ptr<float>(), x.data_ptr<float>() + n), out(static_cast<size_t>(n));
  // How many roots differ from the correctly rounded one: what makes std::sqrt unusable.
  int64_t not_std = 0;
  for (int64_t i = 0; i < n; ++i) not_std += expected[i].item<float>() != std::sqrt(in[static_cast<size_t>(i)]);
  INFO("roots that differ from std::sqrt: " << not_std << " of " << n);
#if AT_MKL_ENABLED() && defined(__x86_64__)
  CHECK(not_std > 0);  // MKL's roots are not all correctly rounded: std::sqrt would fail below
#endif
  aten_sqrt(out.data(), in.data(), n);
  CHECK(same_bits(out.data(), expected.data_ptr<float>(), n));
  // Tiles of uneven lengths at uneven offsets, in place.
  std::vector<float> tiled = in;
  for (int64_t at = 0, step = 1; at < n; at += step, step = step * 7 % 3001 + 1) {
    aten_sqrt(tiled.data() + at, tiled.data() + at, std::min(step, n - at));
  }
  CHECK(same_bits(tiled.data(), expected.data_ptr<float>(), n));
}

TEST_CASE("aten_sqrt: values known in advance, and MKL called directly where LibTorch has it") {
  std::vector<float> in{4.0f, 0.0f, -0.0f, 2.25f, std::numeric_limits<float>::infinity(), -1.0f, 1e-44f}, out(in.size());
  aten_sqrt(out.data(), in.data(), static_cast<int64_t>(in.size()));
  CHECK(out[0] == 2.0f);
  CHECK(out[1] == 0.0f);
  CHECK(std::signbit(out[2]));
  CHECK(out[3] == 1.5f);
  CHECK(std::isinf(out[4]));
  CHECK(std::isnan(out[5]));
  CHECK(out[6] > 0.0f);
  aten_sqrt(out.data(), in.data(), 0);  // nothing to do
#if AT_MKL_ENABLED() && defined(__x86_64__)
  CHECK(aten_sqrt_is_direct());
#endif
}
