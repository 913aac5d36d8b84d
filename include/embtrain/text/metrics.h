// metrics.h — classification metrics from a running tally (no torch).
//
// A prediction is positive when the probability is > 0.5: with the article's
// final ReLU every output is >= 0.5, and an output pinned at exactly 0.5 says
// nothing, so it counts as negative. Binary runs count a confusion matrix; multi-label runs
// count, per label, true and false positives and false negatives, and the top-1 prediction
// of each example (P@1 and R@1 as `fasttext test` prints them).
//
// Precision at recall (fastText's precisionAtRecall) ranks every decision by its probability:
// a binary run's examples for the positive class, a multi-label run's (example, label) pairs
// micro-averaged. The tally keeps a histogram of the probabilities of the positive and the
// negative decisions, binned on the log-odds scale (kScoreBins bins of 1/32 over [-16, 16],
// the ends open), so that it sums across batches, threads and workers like the counts.
// Decisions in one bin count as tied; a bin is 1/32 of a log-odds unit wide, about 0.8% of
// probability at 0.5 and far finer towards 0 and 1, where confident models put their scores.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace embtrain {

struct Tally {
  int64_t true_pos = 0, false_pos = 0, true_neg = 0, false_neg = 0;
  double loss_sum = 0;  // sum over examples of the per-example BCE (mean over outputs)
  // Multi-label runs ([C] each, empty in binary runs).
  std::vector<int64_t> label_true_pos, label_false_pos, label_false_neg;
  int64_t examples = 0;      // multi-label examples counted
  int64_t top1_correct = 0;  // examples whose most probable label is one of theirs
  int64_t gold_labels = 0;   // labels of the examples counted (R@1's denominator)
  // [kScoreBins] each (empty until the first decision): decisions by probability bin.
  std::vector<int64_t> positive_scores, negative_scores;
  static constexpr int64_t kScoreBins = 1024;
  void add_score(float probability, bool actual);

  bool multi_label() const { return !label_true_pos.empty(); }
  // One multi-label example: probabilities [C] and its labels (output indices).
  void add_multi(const float* probabilities, int64_t classes, const int32_t* gold, int64_t gold_count);

  void add(float probability, float label) {
    const bool predicted = probability > 0.5f;
    const bool actual = label > 0.5f;
    true_pos += predicted && actual;
    false_pos += predicted && !actual;
    true_neg += !predicted && !actual;
    false_neg += !predicted && actual;
    add_score(probability, actual);
  }
  int64_t count() const { return true_pos + false_pos + true_neg + false_neg + examples; }
  Tally& operator+=(const Tally& other);
  // Every count and the loss as doubles (exact below 2^53), the per-label ones padded to
  // `classes` (0 in binary runs), and back: what workers sum to merge their tallies.
  std::vector<double> to_values(size_t classes) const;
  static Tally from_values(const std::vector<double>& values, size_t classes);
};

struct LabelMetrics {
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;    // examples that carry the label
  int64_t predicted = 0;  // examples it was predicted for
};

struct Metrics {
  int64_t examples = 0;
  // Binary: over the confusion matrix. Multi-label: accuracy is P@1, and precision, recall
  // and f1 are micro-averaged over every (example, label) decision.
  double loss = 0, accuracy = 0, precision = 0, recall = 0, f1 = 0;
  bool multi_label = false;
  double p_at_1 = 0, r_at_1 = 0;  // multi-label runs
  double macro_f1 = 0;
  // Precision at recall kRecallLevels[i] (empty when the tally holds no probabilities).
  std::vector<double> precision_at_recall;
  // Multi-label runs: each label, in output order. Binary runs: label 0 (its positives are
  // the predicted negatives) and label 1.
  std::vector<LabelMetrics> per_label;
};

// The recall levels reported: 0.05, 0.10, ..., 1.00, and their keys ("0.05" ... "1.00").
constexpr int kRecallLevels = 20;
double recall_level(int i);
std::string recall_key(int i);
// The precision of the highest-ranked decisions that reach recall `recall` (0 when no
// decision is positive): the bins are walked from the top until the positives seen cover it.
double precision_at_recall(const Tally& tally, double recall);

// Precision/recall/F1 are 0 where their denominator is 0; macro F1 averages the labels (in
// binary runs, the two classes) that occur in the data or in the predictions.
Metrics summarize(const Tally& tally);

// `label_names` (output order) keys the per_label object; unnamed labels by their index
// (a binary run's "0" and "1").
nlohmann::json to_json(const Metrics& metrics, const std::vector<std::string>& label_names = {});

}  // namespace embtrain
