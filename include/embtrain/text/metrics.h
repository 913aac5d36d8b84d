// metrics.h — binary classification metrics from a running tally (no torch).
//
// A prediction is positive when the probability is > 0.5: with the article's
// final ReLU every output is >= 0.5, and an output pinned at exactly 0.5 says
// nothing, so it counts as negative.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>

namespace embtrain {

struct BinaryTally {
  int64_t true_pos = 0, false_pos = 0, true_neg = 0, false_neg = 0;
  double loss_sum = 0;  // sum over examples of the per-example BCE

  void add(float probability, float label) {
    const bool predicted = probability > 0.5f;
    const bool actual = label > 0.5f;
    true_pos += predicted && actual;
    false_pos += predicted && !actual;
    true_neg += !predicted && !actual;
    false_neg += !predicted && actual;
  }
  int64_t count() const { return true_pos + false_pos + true_neg + false_neg; }
  BinaryTally& operator+=(const BinaryTally& other) {
    true_pos += other.true_pos;
    false_pos += other.false_pos;
    true_neg += other.true_neg;
    false_neg += other.false_neg;
    loss_sum += other.loss_sum;
    return *this;
  }
};

struct Metrics {
  int64_t examples = 0;
  double loss = 0, accuracy = 0, precision = 0, recall = 0, f1 = 0;
};

// Precision/recall/F1 are 0 where their denominator is 0.
Metrics summarize(const BinaryTally& tally);

nlohmann::json to_json(const Metrics& metrics);

}  // namespace embtrain
