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

TEST_CASE("precision at recall ranks the decisions by probability (values known in advance)") {
  // Ranked: 0.9 (+), 0.85 (-), 0.8 (+), 0.3 (+), 0.2 (-); three positives.
  Tally t;
  t.add(0.9f, 1.0f);
  t.add(0.85f, 0.0f);
  t.add(0.8f, 1.0f);
  t.add(0.3f, 1.0f);
  t.add(0.2f, 0.0f);
  CHECK(precision_at_recall(t, 0.3) == Approx(1.0));        // one positive: the top one
  CHECK(precision_at_recall(t, 0.35) == Approx(2.0 / 3));  // two: down to 0.8
  CHECK(precision_at_recall(t, 1.0) == Approx(3.0 / 4));   // all three: down to 0.3
  const Metrics m = summarize(t);
  REQUIRE(m.precision_at_recall.size() == static_cast<size_t>(kRecallLevels));
  CHECK(m.precision_at_recall[5] == Approx(1.0));  // 0.30
  CHECK(m.precision_at_recall[19] == Approx(0.75));
  CHECK(to_json(m)["precision_at_recall"]["0.30"].get<double>() == Approx(1.0));
  // The histograms travel with the counts (workers sum these vectors).
  const Tally back = Tally::from_values(t.to_values(0), 0);
  CHECK(back.positive_scores == t.positive_scores);
  CHECK(back.negative_scores == t.negative_scores);
  CHECK(Tally::from_values(Tally().to_values(0), 0).positive_scores.empty());
}

TEST_CASE("precision at recall, multi-label: micro over every (example, label) decision") {
  Tally t;
  const float first[] = {0.9f, 0.6f}, second[] = {0.7f, 0.95f};
  const int32_t gold_first[] = {0}, gold_second[] = {0};
  t.add_multi(first, 2, gold_first, 1);    // 0.9 (+), 0.6 (-)
  t.add_multi(second, 2, gold_second, 1);  // 0.7 (+), 0.95 (-)
  // Ranked: 0.95 (-), 0.9 (+), 0.7 (+), 0.6 (-).
  CHECK(precision_at_recall(t, 0.5) == Approx(0.5));
  CHECK(precision_at_recall(t, 1.0) == Approx(2.0 / 3));
}
