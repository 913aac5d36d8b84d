// metrics.cpp — accuracy, precision, recall, F1 from confusion counts.
#include "embtrain/text/metrics.h"

#include <nlohmann/json.hpp>

namespace embtrain {

Metrics summarize(const BinaryTally& t) {
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  Metrics m;
  m.examples = t.count();
  m.loss = ratio(t.loss_sum, static_cast<double>(m.examples));
  m.accuracy = ratio(static_cast<double>(t.true_pos + t.true_neg), static_cast<double>(m.examples));
  m.precision = ratio(static_cast<double>(t.true_pos), static_cast<double>(t.true_pos + t.false_pos));
  m.recall = ratio(static_cast<double>(t.true_pos), static_cast<double>(t.true_pos + t.false_neg));
  m.f1 = ratio(2 * m.precision * m.recall, m.precision + m.recall);
  return m;
}

nlohmann::json to_json(const Metrics& m) {
  return {{"examples", m.examples}, {"loss", m.loss},     {"accuracy", m.accuracy},
          {"precision", m.precision}, {"recall", m.recall}, {"f1", m.f1}};
}

}  // namespace embtrain
