// pca.cpp — fit_pca: mean, covariance and its top two eigenvectors by power iteration.
#include "embtrain/text/pca.h"

#include <algorithm>
#include <cmath>

namespace embtrain {
namespace {

constexpr int kPowerIterations = 1000;

// Scales `x` to unit length; returns its length before (0: left as is).
double normalise(std::vector<double>& x) {
  double norm = 0;
  for (const double value : x) norm += value * value;
  norm = std::sqrt(norm);
  if (norm > 0) {
    for (double& value : x) value /= norm;
  }
  return norm;
}

// Top eigenvector of the symmetric matrix `c` [dim, dim] by power iteration from a fixed start
// vector; sign fixed so that its largest entry is positive. *eigenvalue: v' c v.
// With `against` (a unit vector), every iterate is kept orthogonal to it: the second axis stays
// perpendicular to the first even when no variance is left after deflation (rows on a line),
// where the iteration would otherwise keep its start vector and draw PC2 as a copy of PC1.
void orthogonalise(std::vector<double>& x, const std::vector<double>* against) {
  if (!against) return;
  double dot = 0;
  for (size_t i = 0; i < x.size(); ++i) dot += x[i] * (*against)[i];
  for (size_t i = 0; i < x.size(); ++i) x[i] -= dot * (*against)[i];
}

std::vector<double> top_eigenvector(const std::vector<double>& c, size_t dim, double* eigenvalue,
                                    const std::vector<double>* against = nullptr) {
  std::vector<double> v(dim), next(dim);
  for (size_t i = 0; i < dim; ++i) v[i] = 1.5 + std::cos(0.7 * static_cast<double>(i));
  orthogonalise(v, against);
  if (normalise(v) == 0 && dim > 1) {  // the start vector was parallel to `against`
    for (size_t i = 0; i < dim; ++i) v[i] = i == 0 ? 1.0 : 0.0;
    orthogonalise(v, against);
    normalise(v);
  }
  for (int iteration = 0; iteration < kPowerIterations; ++iteration) {
    for (size_t i = 0; i < dim; ++i) {
      double sum = 0;
      for (size_t j = 0; j < dim; ++j) sum += c[i * dim + j] * v[j];
      next[i] = sum;
    }
    orthogonalise(next, against);
    if (normalise(next) == 0) break;  // no variance left: keep the start vector
    double moved = 0;
    for (size_t i = 0; i < dim; ++i) moved += (next[i] - v[i]) * (next[i] - v[i]);
    v.swap(next);
    if (moved < 1e-24) break;
  }
  size_t largest = 0;
  for (size_t i = 1; i < dim; ++i) {
    if (std::fabs(v[i]) > std::fabs(v[largest])) largest = i;
  }
  if (dim > 0 && v[largest] < 0) {
    for (double& value : v) value = -value;
  }
  double lambda = 0;
  for (size_t i = 0; i < dim; ++i) {
    for (size_t j = 0; j < dim; ++j) lambda += v[i] * c[i * dim + j] * v[j];
  }
  *eigenvalue = lambda;
  return v;
}

// The covariance [dim, dim] of `points` about `mean` (divided by n); *trace: its trace.
std::vector<double> covariance(const std::vector<const float*>& points,
                               const std::vector<double>& mean, double n, double* trace) {
  const size_t dim = mean.size();
  std::vector<double> c(dim * dim, 0.0), centred(dim);
  for (const float* p : points) {
    for (size_t d = 0; d < dim; ++d) centred[d] = p[d] - mean[d];
    for (size_t i = 0; i < dim; ++i) {
      for (size_t j = i; j < dim; ++j) c[i * dim + j] += centred[i] * centred[j];
    }
  }
  for (size_t i = 0; i < dim; ++i) {
    for (size_t j = i; j < dim; ++j) {
      c[i * dim + j] /= n;
      c[j * dim + i] = c[i * dim + j];
    }
    *trace += c[i * dim + i];
  }
  return c;
}

}  // namespace

// Centre, covariance, top two eigenvectors (the second after deflating the first).
Pca fit_pca(const std::vector<const float*>& points, size_t dim) {
  Pca pca;
  pca.mean.assign(dim, 0.0);
  for (const float* p : points) {
    for (size_t d = 0; d < dim; ++d) pca.mean[d] += p[d];
  }
  const double n = static_cast<double>(std::max<size_t>(points.size(), 1));
  for (double& m : pca.mean) m /= n;
  std::vector<double> c = covariance(points, pca.mean, n, &pca.total_variance);
  for (int k = 0; k < 2; ++k) {
    pca.axes[k] = top_eigenvector(c, dim, &pca.variance[k], k == 1 ? &pca.axes[0] : nullptr);
    for (size_t i = 0; i < dim; ++i) {
      for (size_t j = 0; j < dim; ++j) {
        c[i * dim + j] -= pca.variance[k] * pca.axes[k][i] * pca.axes[k][j];
      }
    }
  }
  if (dim < 2) {
    pca.axes[1].assign(dim, 0.0);
    pca.variance[1] = 0;
  }
  return pca;
}

std::pair<double, double> Pca::project(const float* point) const {
  double x = 0, y = 0;
  for (size_t d = 0; d < mean.size(); ++d) {
    x += (point[d] - mean[d]) * axes[0][d];
    y += (point[d] - mean[d]) * axes[1][d];
  }
  return {x, y};
}

}  // namespace embtrain
