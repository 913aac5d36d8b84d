// test_pca.cpp — fit_pca against a decomposition known in closed form.
//
// The cloud: centre m = (1, -2, 0.5) plus, one point each, +-a1 u1, +-a2 u2, +-a3 u3 with the
// orthonormal directions u1 = (2, 6, 3)/7, u2 = (6, -3, 2)/7, u3 = (3, 2, -6)/7 and amplitudes
// a1 = 7, a2 = 3.5, a3 = 1.75 (every coordinate exact in float). Its covariance (divided by n = 6)
// is sum_k (2 a_k^2 / 6) u_k u_k', so the eigenvectors are u1, u2, u3 with variances
// 49/3, 49/12, 49/48; total 1029/48; PC1 and PC2 explain 16/21 and 4/21 of it.
#include <cmath>
#include <vector>

#include "../catch.h"
#include "embtrain/text/pca.h"

using namespace embtrain;

namespace {
constexpr double kTolerance = 1e-9;  // the power iteration stops at a step below 1e-12

const double kU1[] = {2 / 7.0, 6 / 7.0, 3 / 7.0};
const double kU2[] = {6 / 7.0, -3 / 7.0, 2 / 7.0};

// The six points [6, 3], row-major.
std::vector<float> cloud() {
  const float m[] = {1, -2, 0.5f};
  const float steps[3][3] = {{2, 6, 3}, {3, -1.5f, 1}, {0.75f, 0.5f, -1.5f}};  // a_k u_k
  std::vector<float> points;
  for (const auto& step : steps) {
    for (const float sign : {1.0f, -1.0f}) {
      for (int d = 0; d < 3; ++d) points.push_back(m[d] + sign * step[d]);
    }
  }
  return points;
}

std::vector<const float*> pointers(const std::vector<float>& values, size_t dim) {
  std::vector<const float*> out;
  for (size_t i = 0; i < values.size(); i += dim) out.push_back(values.data() + i);
  return out;
}
}  // namespace

TEST_CASE("fit_pca finds the known directions, variances and mean") {
  const std::vector<float> points = cloud();
  const Pca pca = fit_pca(pointers(points, 3), 3);
  REQUIRE(pca.mean.size() == 3);
  CHECK(pca.mean[0] == Approx(1).margin(kTolerance));
  CHECK(pca.mean[1] == Approx(-2).margin(kTolerance));
  CHECK(pca.mean[2] == Approx(0.5).margin(kTolerance));
  // Signs are fixed (largest |entry| positive), so u1 and u2 come back as written, not negated.
  for (int d = 0; d < 3; ++d) {
    CHECK(pca.axes[0][d] == Approx(kU1[d]).margin(kTolerance));
    CHECK(pca.axes[1][d] == Approx(kU2[d]).margin(kTolerance));
  }
  CHECK(pca.variance[0] == Approx(49.0 / 3).margin(kTolerance));
  CHECK(pca.variance[1] == Approx(49.0 / 12).margin(kTolerance));
  CHECK(pca.total_variance == Approx(1029.0 / 48).margin(kTolerance));
  CHECK(pca.variance[0] / pca.total_variance == Approx(16.0 / 21).margin(kTolerance));
  CHECK(pca.variance[1] / pca.total_variance == Approx(4.0 / 21).margin(kTolerance));
}

TEST_CASE("projections are the amplitudes along u1 and u2") {
  const std::vector<float> points = cloud();
  const Pca pca = fit_pca(pointers(points, 3), 3);
  // Point order: m + a1 u1, m - a1 u1, m + a2 u2, m - a2 u2, m + a3 u3, m - a3 u3.
  const double expected[6][2] = {{7, 0}, {-7, 0}, {0, 3.5}, {0, -3.5}, {0, 0}, {0, 0}};
  for (size_t i = 0; i < 6; ++i) {
    const auto [x, y] = pca.project(points.data() + 3 * i);
    CHECK(x == Approx(expected[i][0]).margin(kTolerance));
    CHECK(y == Approx(expected[i][1]).margin(kTolerance));
  }
  const float elsewhere[] = {1 + 2 + 6, -2 + 6 - 3, 0.5f + 3 + 2};  // m + u1*7 + u2*7
  const auto [x, y] = pca.project(elsewhere);
  CHECK(x == Approx(7).margin(kTolerance));
  CHECK(y == Approx(7).margin(kTolerance));
}

TEST_CASE("a cloud with one direction: PC2 has no variance, one dimension: PC2 is zero") {
  // Along (3, 4)/5 only, at -5, 0 and +10: mean (0.6, 0.8) * 5/3, variance (25 + 0 + 100)/3
  // minus the squared mean offset (5/3)^2.
  const std::vector<float> line = {-3, -4, 0, 0, 6, 8};
  const Pca pca = fit_pca(pointers(line, 2), 2);
  CHECK(pca.axes[0][0] == Approx(0.6).margin(kTolerance));
  CHECK(pca.axes[0][1] == Approx(0.8).margin(kTolerance));
  CHECK(pca.variance[0] == Approx(125.0 / 3 - 25.0 / 9).margin(kTolerance));
  CHECK(pca.variance[1] == Approx(0).margin(kTolerance));
  CHECK(pca.project(line.data() + 4).first == Approx(10 - 5.0 / 3).margin(kTolerance));

  const std::vector<float> scalars = {1, 2, 6};
  const Pca one = fit_pca(pointers(scalars, 1), 1);
  CHECK(one.axes[0] == std::vector<double>{1.0});
  CHECK(one.axes[1] == std::vector<double>{0.0});
  CHECK(one.variance[0] == Approx(14.0 / 3).margin(kTolerance));  // mean 3: (4 + 1 + 9) / 3
  CHECK(one.project(scalars.data() + 2) == std::pair<double, double>(3.0, 0.0));
}

TEST_CASE("identical points: no variance, every projection at the origin") {
  const std::vector<float> same = {2, -1, 2, -1, 2, -1};
  const Pca pca = fit_pca(pointers(same, 2), 2);
  CHECK(pca.total_variance == 0);
  CHECK(pca.variance[0] == 0);
  CHECK(pca.variance[1] == 0);
  CHECK(pca.project(same.data()) == std::pair<double, double>(0.0, 0.0));
}
