// test_inspect.cpp — inspect_report's tables, read_report's errors, `embtrain inspect`.
//
// fixtures/inspect-run/report.json is a hand-made 6-token, 2-dimension report:
//   happy  [1,0]->[1,0.5]  moved 0.5       joyful [0,1]->[0.1,1]  moved 0.1
//   sad    in 4 batches, no gradient       gone   never in a batch
//   <b>&"x' [1,1]->[1.3,1] moved 0.3       meh    gradient, but did not move
#include "../catch.h"
#include <filesystem>
#include <nlohmann/json.hpp>

#include "embtrain/text/error.h"
#include "embtrain/text/inspect.h"
#include "../helpers.h"

using namespace embtrain;
using embtrain::test::fixture;
using embtrain::test::run_cli;
using embtrain::test::spit;
using embtrain::test::TempDir;
using nlohmann::json;

namespace {
constexpr double kTolerance = 1e-6;

std::vector<std::string> names(const json& tokens) {
  std::vector<std::string> out;
  for (const auto& t : tokens) out.push_back(t["token"].get<std::string>());
  return out;
}

json sample() { return read_report(fixture("inspect-run")); }

// The message of the Error that `call` throws ("" when it throws none).
template <typename F>
std::string error_of(F call, Error::Kind* kind = nullptr) {
  try {
    call();
  } catch (const Error& e) {
    if (kind) *kind = e.kind();
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("moved most and least rank the rows that moved by change_norm") {
  InspectOptions options;
  options.top = 2;
  const json result = inspect_report(sample(), options);
  CHECK(names(result["moved_most"]) == std::vector<std::string>{"happy", "<b>&\"x'"});
  CHECK(names(result["moved_least"]) == std::vector<std::string>{"joyful", "<b>&\"x'"});
  CHECK(result["moved_most"][0]["change_norm"].get<double>() == Approx(0.5).margin(kTolerance));
  CHECK(result["moved_most"][0]["grad_steps"] == 3);
  CHECK(result["summary"]["rows_changed"] == 3);
  options.top = 10;
  const json all = inspect_report(sample(), options);
  CHECK(all["moved_most"].size() == 3);  // unchanged rows are never "moved"
  options.top = 0;
  CHECK(inspect_report(sample(), options)["moved_most"].empty());
}

TEST_CASE("rows that never changed are grouped by reason") {
  const json unchanged = inspect_report(sample(), {})["unchanged"];
  CHECK(unchanged["count"] == 3);
  const json& by_reason = unchanged["by_reason"];
  CHECK(by_reason["never_in_batch"]["count"] == 1);
  CHECK(by_reason["never_in_batch"]["examples"] == json({"gone"}));
  CHECK(by_reason["zero_gradient"]["count"] == 1);
  CHECK(by_reason["zero_gradient"]["examples"] == json({"sad"}));
  CHECK_THAT(by_reason["zero_gradient"]["why"].get<std::string>(), embtrain::test::contains("ReLU"));
  CHECK(by_reason["updates_cancelled"]["examples"] == json({"meh"}));
}

TEST_CASE("pairs say closer or further, missing pairs say which token") {
  json report = sample();
  const json pairs = inspect_report(report, {})["pairs"];
  REQUIRE(pairs.size() == 2);
  CHECK(pairs[0]["cosine_before"].get<double>() == Approx(0).margin(kTolerance));
  CHECK(pairs[0]["cosine_after"].get<double>() == Approx(0.5339929914).margin(kTolerance));
  CHECK(pairs[0]["change"].get<double>() == Approx(0.5339929914).margin(kTolerance));
  CHECK(pairs[0]["direction"] == "closer");
  CHECK(pairs[1]["missing"] == "nope");
  report["pairs"][0]["cosine_after"] = -0.25;
  CHECK(inspect_report(report, {})["pairs"][0]["direction"] == "further");
}

TEST_CASE("requested tokens get steps, why and neighbours before/after") {
  InspectOptions options;
  options.tokens = {"happy", "sad", "nope"};
  const json tokens = inspect_report(sample(), options)["tokens"];
  const json& happy = tokens["happy"];
  CHECK(happy["found"] == true);
  CHECK(happy["batch_steps"] == 5);
  CHECK(happy["grad_steps"] == 3);
  CHECK(happy["neighbors"]["source"] == "report");
  CHECK(happy["neighbors"]["after"][0][0] == "<b>&\"x'");
  // "sad" has no neighbours in report.json: computed from the rows, k = config.report.neighbors.
  const json& sad = tokens["sad"];
  CHECK_THAT(sad["why"].get<std::string>(), embtrain::test::contains("always zero"));
  CHECK(sad["neighbors"]["source"] == "computed");
  const json& before = sad["neighbors"]["before"];
  REQUIRE(before.size() == 2);
  CHECK(before[0][0] == "joyful");  // cosine 0, ties broken by index
  CHECK(before[1][0] == "gone");
  const json& after = sad["neighbors"]["after"];
  CHECK(after[0][0] == "gone");
  CHECK(after[1][0] == "joyful");
  CHECK(after[1][1].get<double>() == Approx(-0.1 / std::sqrt(1.01)).margin(kTolerance));
  CHECK(tokens["nope"]["found"] == false);
  CHECK_THAT(tokens["nope"]["reason"].get<std::string>(), embtrain::test::contains("not in the vocabulary"));
}

TEST_CASE("a bounded report has no neighbours to compute for a token it lacks them for") {
  json report = sample();
  report["complete"] = false;
  InspectOptions options;
  options.tokens = {"sad", "absent"};
  const json tokens = inspect_report(report, options)["tokens"];
  CHECK(tokens["sad"]["neighbors"].is_null());
  CHECK_THAT(tokens["absent"]["reason"].get<std::string>(), embtrain::test::contains("bounded report"));
}

TEST_CASE("read_report takes a run folder or a report.json and names the path on errors") {
  CHECK(read_report(fixture("inspect-run/report.json"))["summary"]["rows"] == 6);
  TempDir dir;
  Error::Kind kind = Error::Kind::usage;
  CHECK_THAT(error_of([&] { read_report(dir / "missing"); }, &kind),
             embtrain::test::contains(dir / "missing"));
  CHECK(kind == Error::Kind::usage);  // "not a run": exit 2 in every command (RunDir)
  CHECK_THAT(error_of([&] { read_report(dir.path.string()); }),
             embtrain::test::contains(dir.path.string()) && embtrain::test::contains("report.json is missing"));
  spit(dir / "broken.json", "{\"format\": ");
  CHECK_THAT(error_of([&] { read_report(dir / "broken.json"); }),
             embtrain::test::contains(dir / "broken.json") && embtrain::test::contains("not valid JSON"));
  spit(dir / "other.json", "{\"tokens\": []}");
  CHECK_THAT(error_of([&] { read_report(dir / "other.json"); }),
             embtrain::test::contains(dir / "other.json") && embtrain::test::contains("not an embtrain report"));
  spit(dir / "array.json", "[1, 2]");
  CHECK_THAT(error_of([&] { read_report(dir / "array.json"); }),
             embtrain::test::contains("not an embtrain report"));
  CHECK_THAT(error_of([] { inspect_report(json{{"summary", json::object()}}, {}); }),
             embtrain::test::contains("tokens"));
}

TEST_CASE("display_token quotes tokens that would be invisible") {
  CHECK(display_token("happy") == "happy");
  CHECK(display_token("é<") == "é<");
  CHECK(display_token(" ") == "\" \"");
  CHECK(display_token("") == "\"\"");
  CHECK(display_token("a\tb") == "\"a\\tb\"");
}

TEST_CASE("embtrain inspect prints aligned tables, or one JSON object") {
  const std::string run = fixture("inspect-run");
  const auto text = run_cli("inspect '" + run + "' --top 2 --token sad");
  REQUIRE(text.code == 0);
  CHECK_THAT(text.out, embtrain::test::contains("Moved most") && embtrain::test::contains("Never moved: 3 rows") &&
                           embtrain::test::contains("closer") && embtrain::test::contains("nearest after:  gone"));
  // The header's "change" column lines up with the values under it.
  const auto header = text.out.find("  token");
  REQUIRE(header != std::string::npos);
  const auto header_end = text.out.find('\n', header);
  const auto row_end = text.out.find('\n', header_end + 1);
  const std::string header_line = text.out.substr(header, header_end - header);
  const std::string row_line = text.out.substr(header_end + 1, row_end - header_end - 1);
  CHECK_THAT(row_line, embtrain::test::starts_with("  happy"));
  CHECK(header_line.find("change") + 6 == row_line.find("0.5000") + 6);

  const auto as_json = run_cli("inspect '" + run + "/report.json' --json --token happy");
  REQUIRE(as_json.code == 0);
  const json parsed = json::parse(as_json.out);
  CHECK(parsed["moved_most"][0]["token"] == "happy");
  CHECK(parsed["tokens"]["happy"]["found"] == true);
  CHECK(std::count(as_json.out.begin(), as_json.out.end(), '\n') == 1);
}

TEST_CASE("embtrain inspect errors: missing run (exit 2, as in every command), bad option (exit 2)") {
  const auto missing = run_cli("inspect /nonexistent/run");
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err,
             embtrain::test::starts_with("embtrain: error:") && embtrain::test::contains("/nonexistent/run"));
  CHECK(run_cli("inspect '" + fixture("inspect-run") + "' --top -1").code == 2);
  CHECK(run_cli("inspect").code == 2);
  const auto help = run_cli("inspect --help");
  CHECK(help.code == 0);
  CHECK_THAT(help.out, embtrain::test::contains("Examples:"));
}
