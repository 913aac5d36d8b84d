// test_html_report.cpp — report.html: SVG element counts, escaping, `embtrain report`.
//
// Uses fixtures/inspect-run (6 tokens x 2 dimensions, 2 epochs with train and valid).
#include "../catch.h"
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "embtrain/text/html_report.h"
#include "embtrain/text/inspect.h"
#include "../helpers.h"

using namespace embtrain;
using embtrain::test::fixture;
using embtrain::test::run_cli;
using embtrain::test::slurp;
using embtrain::test::spit;
using embtrain::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<json> sample_epochs() {
  std::vector<json> epochs;
  for (int e = 1; e <= 3; ++e) {
    epochs.push_back({{"epoch", e},
                      {"seconds", 0.1},
                      {"train", {{"loss", 0.7 - 0.1 * e}, {"accuracy", 0.5 + 0.1 * e}}},
                      {"valid", {{"loss", 0.8 - 0.1 * e}, {"accuracy", 0.5}}}});
  }
  return epochs;
}

// The text of <svg id="ID">...</svg>.
std::string svg_of(const std::string& html, const std::string& id) {
  const auto start = html.find("<svg id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</svg>", start) - start);
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("the page has one arrow per token, one curve per series, one cell per value") {
  const json report = read_report(fixture("inspect-run"));
  const std::string html = render_html_report(report, sample_epochs());
  CHECK_THAT(html, embtrain::test::starts_with("<!doctype html>"));
  const std::string pca = svg_of(html, "pca");
  CHECK(count(pca, "<line class=\"move ") == 6);
  CHECK(count(pca, "<text class=\"label ") == 6);
  // Colour by the label a token occurs with most (positive_count * 2 vs count):
  // happy 2/2, meh 1/1 positive; joyful 0/1, sad 0/3 negative; <b>.. 1/2, gone 0/0 neutral.
  CHECK(count(pca, "<line class=\"move positive\"") == 2);
  CHECK(count(pca, "<line class=\"move negative\"") == 2);
  CHECK(count(pca, "<line class=\"move neutral\"") == 2);
  // Only the three rows that moved get an arrowhead.
  CHECK(count(pca, "marker-end=") == 3);
  const std::string curves = svg_of(html, "curves");
  CHECK(count(curves, "<polyline class=\"curve ") == 4);  // (train, valid) x (loss, accuracy)
  CHECK(count(curves, "<polyline class=\"curve test") == 0);
  const std::string heatmap = svg_of(html, "heatmap");
  CHECK(count(heatmap, "<rect class=\"cell\"") == 6 * 2);
  // No network: nothing is fetched.
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
}

TEST_CASE("every token is HTML-escaped") {
  const json report = read_report(fixture("inspect-run"));
  const std::string html = render_html_report(report, sample_epochs());
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("&lt;b&gt;&amp;&quot;x&#39;") != std::string::npos);
  json evil = report;
  evil["vocab"][0] = "</svg><script>alert(1)</script>";
  evil["tokens"][0]["token"] = evil["vocab"][0];
  evil["summary"]["largest_change"]["token"] = evil["vocab"][0];
  const std::string escaped = render_html_report(evil, {});
  CHECK(escaped.find("<script") == std::string::npos);
  CHECK(escaped.find("&lt;/svg&gt;&lt;script&gt;") != std::string::npos);
}

TEST_CASE("large vocabularies: the heatmap keeps the 40 rows that moved most") {
  json report = {{"format", "embtrain-report/1"}, {"complete", true}};
  json vocab = json::array(), before = json::array(), after = json::array(), tokens = json::array();
  for (int i = 0; i < 100; ++i) {
    const std::string token = "t" + std::to_string(i);
    const double step = 0.001 * i;  // t99 moved most
    vocab.push_back(token);
    before.push_back({std::sin(i), std::cos(i), 0.5, -0.5});
    after.push_back({std::sin(i) + step, std::cos(i), 0.5, -0.5 - step});
    tokens.push_back({{"index", i}, {"token", token}, {"count", 1}, {"positive_count", i % 2},
                      {"change_norm", step * std::sqrt(2.0)}, {"changed", i > 0},
                      {"batch_steps", 1}, {"grad_steps", i > 0 ? 1 : 0}, {"why", ""}});
  }
  report["vocab"] = vocab;
  report["before"] = before;
  report["after"] = after;
  report["tokens"] = tokens;
  const std::string html = render_html_report(report, {});
  const std::string heatmap = svg_of(html, "heatmap");
  CHECK(count(heatmap, "<rect class=\"cell\"") == 40 * 4);
  CHECK(heatmap.find(">t99<") != std::string::npos);
  CHECK(heatmap.find(">t59<") == std::string::npos);  // 60th most moved: left out
  const std::string pca = svg_of(html, "pca");
  CHECK(count(pca, "<line class=\"move ") == 100);
  CHECK(count(pca, "<text class=\"label ") == 80);
  // No epochs: no curves, and a note instead.
  CHECK(count(svg_of(html, "curves"), "<polyline") == 0);
  CHECK_THAT(svg_of(html, "curves"), embtrain::test::contains("no metrics"));
}

TEST_CASE("the PCA plot is deterministic and spans the rows' main directions") {
  const json report = read_report(fixture("inspect-run"));
  const std::string first = render_html_report(report, sample_epochs());
  CHECK(first == render_html_report(report, sample_epochs()));
  // Every arrow's ends lie inside the 960 x 620 plot.
  const std::string pca = svg_of(first, "pca");
  const std::regex arrow("<line class=\"move [^>]*>");
  const std::regex coordinate("(x1|x2|y1|y2)=\"(-?[0-9.]+)\"");
  size_t seen = 0;
  for (auto line = std::sregex_iterator(pca.begin(), pca.end(), arrow);
       line != std::sregex_iterator(); ++line) {
    const std::string text = line->str();
    for (auto it = std::sregex_iterator(text.begin(), text.end(), coordinate);
         it != std::sregex_iterator(); ++it, ++seen) {
      const double v = std::stod((*it)[2]);
      CHECK(v >= 0);
      CHECK(v <= ((*it)[1].str()[0] == 'x' ? 960 : 620));
    }
  }
  CHECK(seen == 6 * 4);
}

TEST_CASE("embtrain report rewrites RUN_DIR/report.html") {
  TempDir dir;
  const std::string run = dir / "run";
  fs::create_directories(run);
  fs::copy_file(fixture("inspect-run/report.json"), run + "/report.json");
  fs::copy_file(fixture("inspect-run/metrics.jsonl"), run + "/metrics.jsonl");
  const auto r = run_cli("report '" + run + "'");
  REQUIRE(r.code == 0);
  const std::string html = slurp(run + "/report.html");
  CHECK(count(svg_of(html, "curves"), "<polyline class=\"curve ") == 4);
  CHECK(count(svg_of(html, "pca"), "<line class=\"move ") == 6);

  spit(run + "/metrics.jsonl", "{\"epoch\": 1}\nnot json\n");
  const auto bad = run_cli("report '" + run + "'");
  CHECK(bad.code == 1);
  CHECK_THAT(bad.err, embtrain::test::contains("metrics.jsonl:2"));

  const auto missing = run_cli("report '" + (dir / "nothing") + "'");
  CHECK(missing.code == 2);  // "not a run", as in every command
  CHECK_THAT(missing.err, embtrain::test::starts_with("embtrain: error:") && embtrain::test::contains("nothing"));
  CHECK(run_cli("report").code == 2);
  CHECK_THAT(run_cli("report --help").out, embtrain::test::contains("Example:"));
}
