// test_report.cpp — per-token changes, reasons, pairs, neighbours, bounded size.
#include "../catch.h"
#include "embtrain/text/config.h"
#include "embtrain/text/report.h"
#include "embtrain/text/vocab.h"

using namespace embtrain;

namespace {
constexpr float kTolerance = 1e-6f;

const std::vector<float> kBefore = {1, 0, 0, 1, 1, 1};
const std::vector<float> kAfter = {1, 0, 0.5f, 1, 1, 1};  // only row 1 moved

ReportInput sample(const Vocab& vocab) {
  ReportInput in;
  in.vocab = &vocab;
  in.before = {3, 2, kBefore.data()};
  in.after = {3, 2, kAfter.data()};
  in.counts = {4, 2, 0};
  in.positive_counts = {3, 0, 0};
  in.batch_steps = {5, 3, 0};
  in.grad_steps = {0, 3, 0};
  in.total_steps = 6;
  return in;
}
}  // namespace

TEST_CASE("cosine") {
  const float a[] = {1, 0}, b[] = {0, 2}, c[] = {3, 0}, z[] = {0, 0};
  CHECK(cosine(a, b, 2) == Approx(0).margin(kTolerance));
  CHECK(cosine(a, c, 2) == Approx(1).margin(kTolerance));
  CHECK(cosine(a, z, 2) == 0);
}

TEST_CASE("tokens say what changed and why") {
  Vocab vocab;
  for (const char* t : {"happy", "joyful", "sad"}) vocab.add(t);
  ReportConfig config;
  config.pairs = {{"happy", "joyful"}, {"happy", "nope"}};
  const auto report = build_report(sample(vocab), config);
  CHECK(report["vocab"] == nlohmann::json({"happy", "joyful", "sad"}));
  CHECK(report["complete"] == true);
  CHECK(report["before"].size() == 3);
  CHECK(report["diff"][1][0].get<float>() == Approx(0.5f).margin(kTolerance));
  const auto& tokens = report["tokens"];
  CHECK(tokens[1]["changed"] == true);
  CHECK(tokens[1]["change_norm"].get<double>() == Approx(0.5).margin(kTolerance));
  CHECK(tokens[0]["changed"] == false);
  CHECK_THAT(tokens[0]["why"].get<std::string>(), embtrain::test::contains("always zero"));
  CHECK_THAT(tokens[2]["why"].get<std::string>(), embtrain::test::contains("never in a batch"));
  CHECK(report["summary"]["rows_changed"] == 1);
  CHECK(report["summary"]["rows_never_in_batch"] == 1);
  CHECK(report["summary"]["largest_change"]["token"] == "joyful");
  const auto& pair = report["pairs"][0];
  CHECK(pair["cosine_before"].get<float>() == Approx(0).margin(kTolerance));
  CHECK(pair["cosine_after"].get<float>() == Approx(0.4472136f).margin(kTolerance));
  CHECK(pair["closer"] == true);
  CHECK(report["pairs"][1]["missing"] == "nope");
  CHECK(report["neighbors"]["happy"]["after"][0][0] == "sad");
  CHECK(report["neighbors"]["happy"]["after"].size() == 2);
}

TEST_CASE("large vocabularies get bounded JSON: most-changed rows and pair rows") {
  Vocab vocab;
  for (const char* t : {"happy", "joyful", "sad"}) vocab.add(t);
  ReportConfig config;
  config.max_rows = 1;
  config.pairs = {{"happy", "sad"}};
  const auto report = build_report(sample(vocab), config);
  CHECK(report["complete"] == false);
  CHECK(report["rows"] == nlohmann::json({0, 1, 2}));  // pairs' rows + 1 most changed
  config.pairs.clear();
  const auto small = build_report(sample(vocab), config);
  CHECK(small["rows"] == nlohmann::json({1}));
  CHECK(small["before"].size() == 1);
  CHECK(small["tokens"][0]["token"] == "joyful");
  CHECK(small["vocab"] == nlohmann::json({"joyful"}));  // names the kept rows
}

TEST_CASE("one classification of a row's steps gives report.json's why and inspect's group") {
  CHECK(step_history(0, 0) == StepHistory::never_in_batch);
  CHECK(step_history(0, 3) == StepHistory::never_in_batch);  // no batch: the gradient is moot
  CHECK(step_history(4, 0) == StepHistory::zero_gradient);
  CHECK(step_history(4, 1) == StepHistory::had_gradient);
  const WhyContext adam;  // Adam, with the article's final ReLU
  const WhyContext sparse{true, false};
  CHECK(why_text(StepHistory::never_in_batch, false, adam) ==
        "never in a batch: its gradient was always zero, so Adam never moved it");
  CHECK(why_text(StepHistory::never_in_batch, false, sparse) == "never in a batch, so SparseAdam never touched it");
  CHECK(why_text(StepHistory::zero_gradient, true, adam) == "in batches with zero gradient, moved by earlier momentum");
  CHECK(why_text(StepHistory::zero_gradient, false, adam) ==
        "in batches, but its gradient was always zero (the final ReLU clamped every example it was in)");
  CHECK(why_text(StepHistory::zero_gradient, false, sparse) ==
        "in batches, but its gradient was always zero (max pooling never picked it, or the embedding is frozen)");
  CHECK(why_text(StepHistory::had_gradient, false, adam) == "non-zero gradient, but the updates cancelled out");
  CHECK(why_text(StepHistory::had_gradient, true, adam) ==
        "non-zero gradient in some steps; Adam's momentum keeps moving it in every later step");
  CHECK(why_text(StepHistory::had_gradient, true, sparse) ==
        "non-zero gradient in some steps; SparseAdam moved it in the steps whose batch held it");
  CHECK(std::string(unchanged_key(StepHistory::had_gradient)) == "updates_cancelled");
  CHECK(std::string(unchanged_why(StepHistory::never_in_batch)) ==
        "never in a batch: no step ever selected the row");
}

TEST_CASE("nearest_rows ranks by cosine, ties to the lower index, itself and k bounded") {
  // Rows: [1, 0], [0, 1], [1, 1], [-1, 0], [2, 0]; from row 0: cosines 0, 1/sqrt(2), -1, 1.
  const std::vector<float> values = {1, 0, 0, 1, 1, 1, -1, 0, 2, 0};
  const Matrix m{5, 2, values.data()};
  const auto norms = row_norms(m);
  const auto top = nearest_rows(m, norms, 0, 3);
  REQUIRE(top.size() == 3);
  CHECK(top[0].first == 4);
  CHECK(top[0].second == Approx(1).margin(kTolerance));
  CHECK(top[1].first == 2);
  CHECK(top[1].second == Approx(0.70710678f).margin(kTolerance));
  CHECK(top[2].first == 1);
  CHECK(nearest_rows(m, norms, 0, 10).size() == 4);  // every other row
  const std::vector<int64_t> candidates = {1, 3};
  const auto limited = nearest_rows(m, norms, 0, 3, &candidates);
  REQUIRE(limited.size() == 2);
  CHECK(limited[0].first == 1);
  CHECK(limited[1].first == 3);
  CHECK(limited[1].second == Approx(-1).margin(kTolerance));
}
