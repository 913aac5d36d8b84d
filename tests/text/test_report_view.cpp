// test_report_view.cpp — view_report: typed fields from report.json, and an Error naming the
// field for a hostile one (wrong types, huge numbers, mismatched lengths).
//
// fixtures/inspect-run/report.json: 6 tokens x 2 dimensions (see test_inspect.cpp).
#include <nlohmann/json.hpp>

#include "../catch.h"
#include "../helpers.h"
#include "embtrain/text/error.h"
#include "embtrain/text/inspect.h"
#include "embtrain/text/report_view.h"

using namespace embtrain;
using embtrain::test::fixture;
using nlohmann::json;

namespace {
json sample() { return read_report(fixture("inspect-run")); }

// The message of the Error view_report throws for `report` ("" when none).
std::string error_of(const json& report) {
  try {
    view_report(report);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("view_report decodes the fixture into typed fields") {
  const ReportView view = view_report(sample());
  CHECK(view.vocab ==
        std::vector<std::string>{"happy", "joyful", "sad", "gone", "<b>&\"x'", "meh"});
  CHECK(view.rows == std::vector<int64_t>{0, 1, 2, 3, 4, 5});
  CHECK(view.dim == 2);
  CHECK(view.before == std::vector<float>{1, 0, 0, 1, -1, 0, 0, -1, 1, 1, 0.5f, 0.5f});
  CHECK(view.after[9] == 1.0f);  // <b>&"x' [1.3, 1]
  CHECK(view.diff[1] == 0.5f);   // happy [0, 0.5]
  CHECK(view.diff[8] == 0.3f);   // report.json's 0.30000000000000004, as float32
  REQUIRE(view.tokens.size() == 6);
  CHECK(view.tokens[0].positive_count == 2);
  CHECK(view.tokens[2].grad_steps == 0);
  CHECK(view.tokens[3].batch_steps == 0);
  CHECK(view.tokens[1].change_norm == 0.1);
  REQUIRE(view.pairs.size() == 2);
  CHECK(view.pairs[0].cosine_after == 0.5339929913879817);
  CHECK(view.pairs[1].missing == std::optional<std::string>("nope"));
  REQUIRE(view.neighbors.count("happy") == 1);
  CHECK(view.neighbors.at("happy").after[1].token == "meh");
  CHECK(view.neighbors.at("happy").after[1].cosine == 0.9);
  CHECK(view.summary.rows_never_in_batch == 1);
  CHECK(view.summary.largest_change->token == "happy");
  CHECK(view.metrics.at("train").accuracy == 0.75);
  CHECK(view.run.report_neighbors == 2);
  CHECK(view.run.seed == 1);
  CHECK(view.complete == true);
  // What inspect --json echoes comes back as it was written.
  CHECK(to_json(view.summary) == sample()["summary"]);
  CHECK(to_json(view.metrics) == sample()["metrics"]);
}

TEST_CASE("absent optional parts read as empty, null numbers as NaN") {
  json report = {{"tokens", {{{"token", "a"}, {"change_norm", nullptr}}}}};
  const ReportView view = view_report(report);
  CHECK(view.vocab.empty());
  CHECK(view.dim == 0);
  CHECK(std::isnan(view.tokens[0].change_norm));
  CHECK(!view.complete);
  CHECK(!view.summary.rows);
  CHECK(to_json(view.summary) == json::object());
}

TEST_CASE("a hostile report.json is an Error that names the field") {
  CHECK_THAT(error_of(json::array()), embtrain::test::contains("'tokens'"));
  CHECK_THAT(error_of({{"summary", json::object()}}), embtrain::test::contains("'tokens'"));
  struct Case {
    const char* path;
    json value;
    const char* message;
  };
  const Case cases[] = {
      {"/tokens/2/count", "three", "'tokens[2].count' must be an integer, not string"},
      {"/tokens/2/count", 3.5, "'tokens[2].count' must be an integer"},
      {"/tokens/2/count", -1, "'tokens[2].count' must not be negative"},
      {"/tokens/1/batch_steps", 18446744073709551615ull, "'tokens[1].batch_steps' is too large"},
      {"/tokens/0/change_norm", "big", "'tokens[0].change_norm' must be a number or null"},
      {"/tokens/0/changed", 1, "'tokens[0].changed' must be true or false"},
      {"/tokens/4", "x", "'tokens[4]' must be an object"},
      {"/before/3/1", 1e300, "'before[3][1]' is beyond float32"},
      {"/after/1/0", nullptr, "'after[1][0]' must be a number"},
      {"/diff/2", json::array({0, 0, 0}), "'diff[2]' has 3 values, but rows are 2 wide"},
      {"/vocab/5", 5, "'vocab[5]' must be a string"},
      {"/rows/0", -3, "'rows[0]' must not be negative"},
      {"/pairs/0/a", json::array(), "'pairs[0].a' must be a string"},
      {"/neighbors/happy/after/0", json::array({"x"}),
       "'neighbors[\"happy\"].after[0]' must be [token, cosine]"},
      {"/summary/rows", "6", "'summary.rows' must be an integer"},
      {"/metrics/train/loss", "low", "'metrics.train.loss' must be a number or null"},
      {"/config/report/neighbors", 2.5, "'config.report.neighbors' must be an integer"},
      {"/config/train", 3, "'config.train' must be an object"},
      {"/complete", "yes", "'complete' must be true or false"},
  };
  for (const auto& c : cases) {
    INFO(c.path);
    json report = sample();
    report[json::json_pointer(c.path)] = c.value;
    CHECK_THAT(error_of(report),
               embtrain::test::contains(std::string("report.json: ") + c.message));
  }
}

TEST_CASE("lengths must match: vocab, rows, before, after, diff, tokens") {
  for (const char* key : {"rows", "before", "after", "diff", "tokens"}) {
    INFO(key);
    json report = sample();
    report[key].erase(0);
    CHECK_THAT(error_of(report), embtrain::test::contains(std::string("'") + key + "' has 5") &&
                                     embtrain::test::contains("'vocab' has 6"));
  }
  json report = sample();
  report.erase("diff");
  CHECK_THAT(error_of(report), embtrain::test::contains("'diff' has 0 rows, but 'vocab' has 6"));
  // Errors are runtime errors (exit 1), and inspect_report meets the same one.
  try {
    inspect_report(report, {});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::runtime);
    CHECK_THAT(e.what(), embtrain::test::contains("'diff'"));
  }
}
