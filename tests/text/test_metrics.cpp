// test_metrics.cpp — metrics from tallies, against values worked out by hand.
#include "../catch.h"

#include <nlohmann/json.hpp>

#include "embtrain/text/metrics.h"

using namespace embtrain;

namespace {
constexpr double kTolerance = 1e-12;  // a few roundings of ratios of small integers
}

TEST_CASE("binary metrics: label 1's F1, each class's F1 and their mean") {
  Tally t;
  t.true_pos = 3;
  t.false_pos = 1;
  t.true_neg = 4;
  t.false_neg = 2;
  const Metrics m = summarize(t);
  CHECK(m.examples == 10);
  CHECK(m.accuracy == Approx(0.7).margin(kTolerance));
  CHECK(m.precision == Approx(0.75).margin(kTolerance));
  CHECK(m.recall == Approx(0.6).margin(kTolerance));
  CHECK(m.f1 == Approx(2.0 / 3.0).margin(kTolerance));  // 2 * 0.75 * 0.6 / 1.35
  REQUIRE(m.per_label.size() == 2);
  // Label 0: its positives are the predicted negatives: tp 4 (tn), fp 2 (fn), fn 1 (fp).
  CHECK(m.per_label[0].precision == Approx(4.0 / 6.0).margin(kTolerance));
  CHECK(m.per_label[0].recall == Approx(0.8).margin(kTolerance));
  CHECK(m.per_label[0].f1 == Approx(8.0 / 11.0).margin(kTolerance));
  CHECK(m.per_label[0].support == 5);
  CHECK(m.per_label[0].predicted == 6);
  CHECK(m.per_label[1].f1 == Approx(m.f1).margin(kTolerance));
  CHECK(m.macro_f1 == Approx((8.0 / 11.0 + 2.0 / 3.0) / 2).margin(kTolerance));

  const nlohmann::json named = to_json(m, {"ham", "spam"});
  CHECK(named["per_label"]["ham"]["support"] == 5);
  CHECK(named["per_label"]["spam"]["predicted"] == 4);
  CHECK(named["macro_f1"].get<double>() == Approx(m.macro_f1).margin(kTolerance));
  CHECK_FALSE(named.contains("p_at_1"));
  const nlohmann::json unnamed = to_json(m);
  CHECK(unnamed["per_label"].contains("0"));
  CHECK(unnamed["per_label"].contains("1"));
}

TEST_CASE("binary macro F1 leaves out a class that is neither in the data nor predicted") {
  Tally t;
  t.true_neg = 9;  // every example is label 0 and predicted 0
  const Metrics m = summarize(t);
  CHECK(m.per_label[1].support == 0);
  CHECK(m.per_label[1].predicted == 0);
  CHECK(m.per_label[0].f1 == Approx(1.0).margin(kTolerance));
  CHECK(m.macro_f1 == Approx(1.0).margin(kTolerance));  // not (1 + 0) / 2
}
