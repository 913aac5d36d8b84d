// metrics.cpp — accuracy, precision, recall, F1 from confusion counts.
#include "embtrain/text/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <nlohmann/json.hpp>

namespace embtrain {

namespace {

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

template <typename T>
void add_each(std::vector<T>& into, const std::vector<T>& from) {
  if (into.size() < from.size()) into.resize(from.size(), 0);
  for (size_t i = 0; i < from.size(); ++i) into[i] += from[i];
}

// One label's figures from its true positives, false positives and false negatives.
LabelMetrics label_metrics(int64_t tp, int64_t fp, int64_t fn) {
  LabelMetrics l;
  l.support = tp + fn;
  l.predicted = tp + fp;
  l.precision = ratio(static_cast<double>(tp), static_cast<double>(tp + fp));
  l.recall = ratio(static_cast<double>(tp), static_cast<double>(tp + fn));
  l.f1 = ratio(2 * l.precision * l.recall, l.precision + l.recall);
  return l;
}

// The mean F1 of the labels that occur in the data or in the predictions.
double macro_f1(const std::vector<LabelMetrics>& labels) {
  double f1_sum = 0;
  int64_t counted = 0;
  for (const LabelMetrics& l : labels) {
    if (l.support + l.predicted == 0) continue;
    f1_sum += l.f1;
    ++counted;
  }
  return ratio(f1_sum, static_cast<double>(counted));
}

std::vector<double> recall_curve(const Tally& t) {
  std::vector<double> out;
  if (t.positive_scores.empty()) return out;
  for (int i = 0; i < kRecallLevels; ++i) out.push_back(precision_at_recall(t, recall_level(i)));
  return out;
}

Metrics summarize_multi(const Tally& t) {
  Metrics m;
  m.multi_label = true;
  m.examples = t.examples;
  m.loss = ratio(t.loss_sum, static_cast<double>(t.examples));
  m.p_at_1 = m.accuracy = ratio(static_cast<double>(t.top1_correct), static_cast<double>(t.examples));
  m.r_at_1 = ratio(static_cast<double>(t.top1_correct), static_cast<double>(t.gold_labels));
  int64_t tp = 0, fp = 0, fn = 0;
  for (size_t c = 0; c < t.label_true_pos.size(); ++c) {
    const int64_t ltp = t.label_true_pos[c], lfp = t.label_false_pos[c], lfn = t.label_false_neg[c];
    tp += ltp;
    fp += lfp;
    fn += lfn;
    m.per_label.push_back(label_metrics(ltp, lfp, lfn));
  }
  m.precision = ratio(static_cast<double>(tp), static_cast<double>(tp + fp));
  m.recall = ratio(static_cast<double>(tp), static_cast<double>(tp + fn));
  m.f1 = ratio(2 * m.precision * m.recall, m.precision + m.recall);
  m.macro_f1 = macro_f1(m.per_label);
  m.precision_at_recall = recall_curve(t);
  return m;
}

}  // namespace

void Tally::add_score(float probability, bool actual) {
  if (positive_scores.empty()) {
    positive_scores.assign(static_cast<size_t>(kScoreBins), 0);
    negative_scores.assign(static_cast<size_t>(kScoreBins), 0);
  }
  // log-odds in [-16, 16) -> bins of 1/32; beyond (and NaN) the end bins.
  const double p = probability;
  const double odds = std::log(p) - std::log1p(-p);
  const double at = (odds + 16.0) * 32.0;
  const int64_t bin = at >= 0 ? std::min<int64_t>(static_cast<int64_t>(at), kScoreBins - 1) : 0;
  ++(actual ? positive_scores : negative_scores)[static_cast<size_t>(bin)];
}

double recall_level(int i) { return 0.05 * (i + 1); }

std::string recall_key(int i) {
  char key[8];
  std::snprintf(key, sizeof key, "%.2f", recall_level(i));
  return key;
}

double precision_at_recall(const Tally& t, double recall) {
  int64_t positives = 0;
  for (const int64_t n : t.positive_scores) positives += n;
  if (positives == 0) return 0.0;
  int64_t tp = 0, fp = 0;
  for (int64_t b = Tally::kScoreBins - 1; b >= 0; --b) {
    tp += t.positive_scores[static_cast<size_t>(b)];
    fp += t.negative_scores[static_cast<size_t>(b)];
    // An integer test, so that 0.3 of 10 positives asks for 3 whatever 0.05 · 6 rounds to.
    if (static_cast<double>(tp) >= recall * static_cast<double>(positives) - 1e-9) break;
  }
  return ratio(static_cast<double>(tp), static_cast<double>(tp + fp));
}

void Tally::add_multi(const float* probabilities, int64_t classes, const int32_t* gold, int64_t gold_count) {
  if (label_true_pos.empty()) {
    label_true_pos.assign(static_cast<size_t>(classes), 0);
    label_false_pos.assign(static_cast<size_t>(classes), 0);
    label_false_neg.assign(static_cast<size_t>(classes), 0);
  }
  auto is_gold = [&](int64_t c) {
    for (int64_t k = 0; k < gold_count; ++k) {
      if (gold[k] == c) return true;
    }
    return false;
  };
  int64_t best = 0;
  for (int64_t c = 0; c < classes; ++c) {
    if (probabilities[c] > probabilities[best]) best = c;  // ties: the first label
    const bool predicted = probabilities[c] > 0.5f;
    const bool actual = is_gold(c);
    label_true_pos[static_cast<size_t>(c)] += predicted && actual;
    label_false_pos[static_cast<size_t>(c)] += predicted && !actual;
    label_false_neg[static_cast<size_t>(c)] += !predicted && actual;
    add_score(probabilities[c], actual);
  }
  ++examples;
  top1_correct += is_gold(best);
  gold_labels += gold_count;
}

Tally& Tally::operator+=(const Tally& other) {
  true_pos += other.true_pos;
  false_pos += other.false_pos;
  true_neg += other.true_neg;
  false_neg += other.false_neg;
  loss_sum += other.loss_sum;
  add_each(label_true_pos, other.label_true_pos);
  add_each(label_false_pos, other.label_false_pos);
  add_each(label_false_neg, other.label_false_neg);
  add_each(positive_scores, other.positive_scores);
  add_each(negative_scores, other.negative_scores);
  examples += other.examples;
  top1_correct += other.top1_correct;
  gold_labels += other.gold_labels;
  return *this;
}

std::vector<double> Tally::to_values(size_t classes) const {
  std::vector<double> out{static_cast<double>(true_pos), static_cast<double>(false_pos),
                          static_cast<double>(true_neg), static_cast<double>(false_neg), loss_sum,
                          static_cast<double>(examples), static_cast<double>(top1_correct),
                          static_cast<double>(gold_labels)};
  for (const auto* counts : {&label_true_pos, &label_false_pos, &label_false_neg}) {
    for (size_t c = 0; c < classes; ++c) out.push_back(c < counts->size() ? static_cast<double>((*counts)[c]) : 0.0);
  }
  // Whether this tally holds probabilities, then both histograms (zeros when it holds none):
  // every worker sends the same length, whatever its slice held.
  out.push_back(positive_scores.empty() ? 0.0 : 1.0);
  for (const auto* scores : {&positive_scores, &negative_scores}) {
    for (int64_t b = 0; b < kScoreBins; ++b) {
      out.push_back(scores->empty() ? 0.0 : static_cast<double>((*scores)[static_cast<size_t>(b)]));
    }
  }
  return out;
}

Tally Tally::from_values(const std::vector<double>& values, size_t classes) {
  Tally t;
  const size_t counts_end = 8 + 3 * classes;
  if (values.size() <= counts_end) throw std::invalid_argument("Tally::from_values: wrong length");
  const bool scored = values[counts_end] > 0.5;
  if (values.size() != counts_end + 1 + 2 * static_cast<size_t>(kScoreBins)) {
    throw std::invalid_argument("Tally::from_values: wrong length");
  }
  auto count = [&](size_t i) { return static_cast<int64_t>(std::llround(values[i])); };
  t.true_pos = count(0);
  t.false_pos = count(1);
  t.true_neg = count(2);
  t.false_neg = count(3);
  t.loss_sum = values[4];
  t.examples = count(5);
  t.top1_correct = count(6);
  t.gold_labels = count(7);
  size_t at = 8;
  for (auto* counts : {&t.label_true_pos, &t.label_false_pos, &t.label_false_neg}) {
    for (size_t c = 0; c < classes; ++c) counts->push_back(count(at++));
  }
  if (scored) {
    ++at;
    for (auto* scores : {&t.positive_scores, &t.negative_scores}) {
      for (int64_t b = 0; b < kScoreBins; ++b) scores->push_back(count(at++));
    }
  }
  return t;
}

Metrics summarize(const Tally& t) {
  if (t.multi_label()) return summarize_multi(t);
  Metrics m;
  m.examples = t.count();
  m.loss = ratio(t.loss_sum, static_cast<double>(m.examples));
  m.accuracy = ratio(static_cast<double>(t.true_pos + t.true_neg), static_cast<double>(m.examples));
  m.precision = ratio(static_cast<double>(t.true_pos), static_cast<double>(t.true_pos + t.false_pos));
  m.recall = ratio(static_cast<double>(t.true_pos), static_cast<double>(t.true_pos + t.false_neg));
  m.f1 = ratio(2 * m.precision * m.recall, m.precision + m.recall);
  // Each class as a label of its own (label 0's positives are the predicted negatives), and
  // macro F1 over the classes that occur, as in multi-label runs.
  m.per_label = {label_metrics(t.true_neg, t.false_neg, t.false_pos),
                 label_metrics(t.true_pos, t.false_pos, t.false_neg)};
  m.macro_f1 = macro_f1(m.per_label);
  m.precision_at_recall = recall_curve(t);
  return m;
}

nlohmann::json to_json(const Metrics& m, const std::vector<std::string>& label_names) {
  nlohmann::json out = {{"examples", m.examples}, {"loss", m.loss},     {"accuracy", m.accuracy},
                        {"precision", m.precision}, {"recall", m.recall}, {"f1", m.f1}};
  if (m.multi_label) {
    out["p_at_1"] = m.p_at_1;
    out["r_at_1"] = m.r_at_1;
    out["micro_f1"] = m.f1;
  }
  out["macro_f1"] = m.macro_f1;
  nlohmann::json per_label = nlohmann::json::object();
  for (size_t c = 0; c < m.per_label.size(); ++c) {
    const LabelMetrics& l = m.per_label[c];
    const std::string name = c < label_names.size() ? label_names[c] : std::to_string(c);
    per_label[name] = {{"precision", l.precision}, {"recall", l.recall}, {"f1", l.f1},
                       {"support", l.support}, {"predicted", l.predicted}};
  }
  out["per_label"] = per_label;
  if (!m.precision_at_recall.empty()) {
    nlohmann::json curve = nlohmann::json::object();
    for (int i = 0; i < kRecallLevels; ++i) curve[recall_key(i)] = m.precision_at_recall[static_cast<size_t>(i)];
    out["precision_at_recall"] = curve;
  }
  return out;
}

}  // namespace embtrain
