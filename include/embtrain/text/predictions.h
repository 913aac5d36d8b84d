// predictions.h — predict's and eval's answers as text, from probabilities (no tensors).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "embtrain/saved_run.h"
#include "embtrain/text/config.h"
#include "embtrain/text/metrics.h"

namespace embtrain {

// A multi-label run's answer for one input: the k most probable labels whose probability is
// >= threshold, most probable first (ties: output order).
std::vector<std::pair<std::string, float>> top_labels(const std::vector<std::string>& names, const float* probs,
                                                      const PredictOptions& options);
// One input's line of `predict` output, from its probabilities [C] (C = 1 for a binary run).
// `unknown`: the share of the input's tokens that have no row (JSON only; the text format keeps
// its columns).
std::string prediction_line(const Config& config, const float* probs, const std::string& text, double unknown,
                            const PredictOptions& options);
// Area under the ROC curve: the Mann-Whitney U statistic with ties counted half; none when
// one class is absent.
std::optional<double> roc_auc(const std::vector<float>& scores, const std::vector<float>& labels);
// `eval` of a multi-label run: P@1 and R@1 as `fasttext test` prints them, micro and macro F1,
// and a line per label (or `out` as one JSON line).
void print_multi_label_eval(const Metrics& metrics, const std::vector<std::string>& names,
                            const nlohmann::json& out, bool as_json);

}  // namespace embtrain
