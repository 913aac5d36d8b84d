// predictions.cpp — predict's lines, ROC AUC, and eval's multi-label table.
#include "embtrain/text/predictions.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <numeric>

namespace embtrain {

using nlohmann::json;

// A multi-label run's answer for one input: the k most probable labels whose probability is
// >= threshold, most probable first (ties: output order).
std::vector<std::pair<std::string, float>> top_labels(const std::vector<std::string>& names, const float* probs,
                                                      const PredictOptions& options) {
  std::vector<int64_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return probs[a] > probs[b]; });
  std::vector<std::pair<std::string, float>> out;
  for (const int64_t c : order) {
    if (static_cast<int64_t>(out.size()) >= options.k || probs[c] < options.threshold.value_or(0.0)) break;
    out.emplace_back(names[static_cast<size_t>(c)], probs[c]);
  }
  return out;
}

// One input's line of `predict` output.
// `unknown`: the share of the input's tokens that the vocabulary lacks (JSON only; the text
// format keeps its columns, and predict warns on stderr above kUnknownWarnShare).
std::string prediction_line(const Config& config, const float* probs, const std::string& text, double unknown,
                            const PredictOptions& options) {
  const auto& names = config.data.labels;
  if (names.empty()) {
    const int label = probs[0] > options.threshold.value_or(0.5) ? 1 : 0;
    const auto& label_names = config.data.label_names;
    auto name_of = [&](int which) {
      return label_names.size() == 2 ? label_names[static_cast<size_t>(which)] : std::to_string(which);
    };
    // -k 2: both classes, most probable first, as a multi-label run prints its labels.
    const float p1 = probs[0], p0 = 1.0f - probs[0];
    const std::vector<std::pair<int, float>> both =
        p1 >= p0 ? std::vector<std::pair<int, float>>{{1, p1}, {0, p0}} : std::vector<std::pair<int, float>>{{0, p0}, {1, p1}};
    if (options.json) {
      json out = {{"probability", probs[0]}, {"label", label}, {"unknown_share", unknown}, {"text", text}};
      if (label_names.size() == 2) out["label_name"] = label_names[static_cast<size_t>(label)];
      if (options.k >= 2) {
        out["labels"] = json::array();
        for (const auto& [which, p] : both) out["labels"].push_back({{"label", name_of(which)}, {"probability", p}});
      }
      return out.dump();
    }
    if (options.k >= 2) {
      return fmt::format("{},{}\t{:.6f},{:.6f}\t{}", name_of(both[0].first), name_of(both[1].first), both[0].second,
                         both[1].second, text);
    }
    return fmt::format("{:.6f}\t{}\t{}", probs[0], label, text);
  }
  const auto top = top_labels(names, probs, options);
  if (options.json) {
    json labels = json::array();
    for (const auto& [name, p] : top) labels.push_back({{"label", name}, {"probability", p}});
    return json{{"labels", labels}, {"unknown_share", unknown}, {"text", text}}.dump();
  }
  std::string label_column, probability_column;
  for (const auto& [name, p] : top) {
    label_column += (label_column.empty() ? "" : ",") + name;
    probability_column += (probability_column.empty() ? "" : ",") + fmt::format("{:.6f}", p);
  }
  return label_column + "\t" + probability_column + "\t" + text;
}

// Area under the ROC curve: the Mann-Whitney U statistic with ties counted half.
std::optional<double> roc_auc(const std::vector<float>& scores, const std::vector<float>& labels) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;
  int64_t positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;  // 1-based
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]] > 0.5f) {
        rank_sum += average_rank;
        ++positives;
      }
    }
    i = j;
  }
  const int64_t negatives = static_cast<int64_t>(scores.size()) - positives;
  if (positives == 0 || negatives == 0) return std::nullopt;
  const double u = rank_sum - static_cast<double>(positives) * (positives + 1) / 2;
  return u / (static_cast<double>(positives) * static_cast<double>(negatives));
}

void print_multi_label_eval(const Metrics& metrics, const std::vector<std::string>& names, const json& out,
                            bool as_json) {
  if (as_json) {
    std::cout << out.dump() << '\n';
    return;
  }
  std::cout << fmt::format("N\t{}\nP@1\t{:.4f}\nR@1\t{:.4f}\nloss\t{:.6f}\nmicro_f1\t{:.4f}\nmacro_f1\t{:.4f}\n"
                           "unknown\t{:.1f}%\n\n",
                           metrics.examples, metrics.p_at_1, metrics.r_at_1, metrics.loss, metrics.f1,
                           metrics.macro_f1, 100 * out.at("unknown_share").get<double>());
  std::cout << "label\tprecision\trecall\tf1\tsupport\tpredicted\n";
  for (size_t c = 0; c < metrics.per_label.size(); ++c) {
    const LabelMetrics& l = metrics.per_label[c];
    std::cout << fmt::format("{}\t{:.4f}\t{:.4f}\t{:.4f}\t{}\t{}\n", names[c], l.precision, l.recall, l.f1,
                             l.support, l.predicted);
  }
}

}  // namespace embtrain
