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
#include <utility>
#include <vector>

#include "embtrain/text/matrix.h"

namespace embtrain {

class Vocab;
struct ReportConfig;

struct ReportInput {
  const Vocab* vocab = nullptr;
  std::vector<int64_t> counts;           // [V] occurrences in the training data
  std::vector<int64_t> positive_counts;  // [V] of those, in label-1 examples (binary runs)
  std::vector<std::string> label_names;  // [C] multi-label runs: the labels in output order
  std::vector<int64_t> label_counts;     // [V, C] multi-label runs: occurrences per label
  Matrix before, after;                  // [V, D]
  // The rows that can differ between before and after, ascending (nullptr: any row). Every other
  // row is left out of the loops over rows, so that the report's cost follows the rows training
  // touched, not the table's size.
  const std::vector<int64_t>* movable = nullptr;
  std::vector<int64_t> batch_steps;      // [V] optimizer steps whose batch held the token
  std::vector<int64_t> grad_steps;       // [V] steps in which its gradient row was non-zero
  int64_t total_steps = 0;
  nlohmann::json metrics;  // {"train": {...}, "valid": {...}, "test": {...}}
  nlohmann::json config;   // the resolved config
  std::string device, torch_version, optimizer;
  int64_t seed = 0;
};

nlohmann::json build_report(const ReportInput& input, const ReportConfig& config);

float cosine(const float* a, const float* b, int64_t dim);

// What a row's step counts say about it: never selected by a batch, selected but never given a
// gradient, or given a gradient. The reasons report.json and `embtrain inspect` tell are
// defined once, in report.cpp, for these three.
enum class StepHistory { never_in_batch, zero_gradient, had_gradient };
StepHistory step_history(int64_t batch_steps, int64_t grad_steps);
// report.json's tokens[].why: why the row moved (`changed`) or did not, in the terms of the
// run's optimizer and model.
struct WhyContext {
  bool sparse_adam = false;
  bool final_relu = true;
};
std::string why_text(StepHistory history, bool changed, const WhyContext& context);
// `embtrain inspect`'s groups of rows that never moved: the key ("never_in_batch",
// "zero_gradient", "updates_cancelled") and the sentence that heads the group.
const char* unchanged_key(StepHistory history);
const char* unchanged_why(StepHistory history);

// The k rows nearest to `row` by cosine (itself excluded), nearest first, ties to the lower
// index: [(row index, cosine)]. `norms` [rows] holds each row's L2 norm (row_norms);
// `candidates` limits the search to those rows (nullptr: all rows).
std::vector<std::pair<int64_t, float>> nearest_rows(
    const Matrix& m, const std::vector<double>& norms, int64_t row, int64_t k,
    const std::vector<int64_t>* candidates = nullptr);

// nearest_rows as JSON with the rows' tokens: [[token, cosine], ...].
nlohmann::json nearest(const Matrix& m, const std::vector<double>& norms, const Vocab& vocab,
                       int64_t row, int64_t k, const std::vector<int64_t>* candidates = nullptr);
std::vector<double> row_norms(const Matrix& m);
// The same for `only` (ascending rows); every other entry is 0.
std::vector<double> row_norms(const Matrix& m, const std::vector<int64_t>& only);

}  // namespace embtrain
