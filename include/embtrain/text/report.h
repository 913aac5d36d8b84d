// report.h — what a run learned, as report.json (no torch: plain float rows).
//
// The trainer hands over the embedding matrix before and after training and,
// per token, how many optimizer steps had it in the batch and how many gave its
// row a non-zero gradient. From those the report explains each row: it never
// moved (never in a batch, or its gradient was always zero), or it moved.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "embtrain/text/matrix.h"

namespace embtrain {

class Vocab;
struct ReportConfig;

struct ReportInput {
  const Vocab* vocab = nullptr;
  std::vector<int64_t> counts;       // [V] occurrences in the training data
  std::vector<int64_t> positive_counts;  // [V] of those, in label-1 examples
  Matrix before, after;              // [V, D]
  std::vector<int64_t> batch_steps;  // [V] optimizer steps whose batch held the token
  std::vector<int64_t> grad_steps;   // [V] steps in which its gradient row was non-zero
  int64_t total_steps = 0;
  nlohmann::json metrics;  // {"train": {...}, "valid": {...}, "test": {...}}
  nlohmann::json config;   // the resolved config
  std::string device, torch_version, optimizer;
  int64_t seed = 0;
};

nlohmann::json build_report(const ReportInput& input, const ReportConfig& config);

float cosine(const float* a, const float* b, int64_t dim);

// The k tokens nearest to `row` by cosine (itself excluded): [[token, cosine], ...].
// `norms` [rows] holds each row's L2 norm (row_norms), computed once per matrix.
// `candidates` limits the search to those rows (nullptr: all rows).
nlohmann::json nearest(const Matrix& m, const std::vector<double>& norms, const Vocab& vocab,
                       int64_t row, int64_t k, const std::vector<int64_t>* candidates = nullptr);
std::vector<double> row_norms(const Matrix& m);

}  // namespace embtrain
