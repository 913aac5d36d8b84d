// pca.h — the top two principal components of a point cloud, for report.html's 2D plot.
//
// Power iteration on the [D, D] covariance matrix (no LAPACK on the torch-free side): the
// plotted clouds are at most a few thousand points of a few hundred dimensions.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace embtrain {

struct Pca {
  std::vector<double> mean;     // [D]
  std::vector<double> axes[2];  // [2][D] unit vectors; sign: the largest |entry| is positive
  double variance[2] = {0, 0};  // variance along each axis (covariance divided by n, not n - 1)
  double total_variance = 0;    // trace of the covariance: the sum over all D directions

  // (x, y): the offset of `point` [D] from the mean, along axes[0] and axes[1].
  std::pair<double, double> project(const float* point) const;
};

// `points`: n pointers to [dim] floats. With dim < 2 the second axis is all zeros; a cloud with
// no variance keeps the fixed start vector as its axis, with variance 0. Deterministic: the same
// points give the same bits.
Pca fit_pca(const std::vector<const float*>& points, size_t dim);

}  // namespace embtrain
