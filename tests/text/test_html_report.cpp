// test_html_report.cpp — report.html: SVG coordinates and colours, tables, escaping,
// `embtrain report`.
//
// Uses fixtures/inspect-run (6 tokens x 2 dimensions, 2 epochs with train and valid):
//   token    before     after       diff        change
//   happy    [1, 0]     [1, 0.5]    [0, 0.5]    0.5
//   joyful   [0, 1]     [0.1, 1]    [0.1, 0]    0.1
//   sad      [-1, 0]    unchanged
//   gone     [0, -1]    unchanged
//   <b>&"x'  [1, 1]     [1.3, 1]    [0.3, 0]    0.3
//   meh      [0.5, 0.5] unchanged
// so the plots list them by change: happy, <b>&"x', joyful, then sad, gone, meh (ties keep
// the vocabulary order).
#include <array>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "../catch.h"
#include "../helpers.h"
#include "embtrain/text/html_report.h"
#include "embtrain/text/inspect.h"

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
  json vocab = json::array(), before = json::array(), after = json::array(), diff = json::array(),
       tokens = json::array();
  for (int i = 0; i < 100; ++i) {
    const std::string token = "t" + std::to_string(i);
    const double step = 0.001 * i;  // t99 moved most
    vocab.push_back(token);
    before.push_back({std::sin(i), std::cos(i), 0.5, -0.5});
    after.push_back({std::sin(i) + step, std::cos(i), 0.5, -0.5 - step});
    diff.push_back({step, 0, 0, -step});
    tokens.push_back({{"index", i},
                      {"token", token},
                      {"count", 1},
                      {"positive_count", i % 2},
                      {"change_norm", step * std::sqrt(2.0)},
                      {"changed", i > 0},
                      {"batch_steps", 1},
                      {"grad_steps", i > 0 ? 1 : 0},
                      {"why", ""}});
  }
  report["vocab"] = vocab;
  report["before"] = before;
  report["after"] = after;
  report["diff"] = diff;
  report["tokens"] = tokens;
  const std::string html = render_html_report(report, {});
  const std::string heatmap = svg_of(html, "heatmap");
  CHECK(count(heatmap, "<rect class=\"cell\"") == 40 * 4);
  CHECK(heatmap.find(">t99<") != std::string::npos);
  CHECK(heatmap.find(">t59<") == std::string::npos);  // 60th most moved: left out
  const std::string pca = svg_of(html, "pca");
  CHECK(count(pca, "<line class=\"move ") == 100);
  // Labels that would cover one another are dropped: the 100 arrow ends lie on a circle, so
  // fewer than 80 fit, and no two placed labels overlap (boxes as html_plots.cpp sizes them).
  const size_t labelled = count(pca, "<text class=\"label ");
  CHECK(labelled > 20);
  CHECK(labelled < 80);
  std::vector<std::array<double, 4>> boxes;
  for (size_t at = pca.find("<text class=\"label "); at != std::string::npos; at = pca.find("<text class=\"label ", at + 1)) {
    const double x = std::stod(pca.substr(pca.find("x=\"", at) + 3));
    const double y = std::stod(pca.substr(pca.find("y=\"", at) + 3));
    const size_t close = pca.find('>', at), end = pca.find("</text>", at);
    const bool left = pca.substr(at, close - at).find("text-anchor") != std::string::npos;
    const double width = 7.0 * static_cast<double>(end - close - 1) + 2;
    boxes.push_back({left ? x - width : x, y - 12, left ? x : x + width, y + 2});
  }
  for (size_t i = 0; i < boxes.size(); ++i) {
    for (size_t j = i + 1; j < boxes.size(); ++j) {
      const bool overlap = boxes[i][0] < boxes[j][2] && boxes[j][0] < boxes[i][2] && boxes[i][1] < boxes[j][3] &&
                           boxes[j][1] < boxes[i][3];
      CHECK_FALSE(overlap);
    }
  }
  // No epochs: no curves, and a note instead.
  CHECK(count(svg_of(html, "curves"), "<polyline") == 0);
  CHECK_THAT(svg_of(html, "curves"), embtrain::test::contains("no metrics"));
}

namespace {
// The arrows' ends (x1, y1, x2, y2) in plot order, as numbers.
std::vector<std::array<double, 4>> arrows(const std::string& pca) {
  const std::regex arrow(
      "<line class=\"move [^>]*x1=\"([-0-9.]+)\" y1=\"([-0-9.]+)\" "
      "x2=\"([-0-9.]+)\" y2=\"([-0-9.]+)\"");
  std::vector<std::array<double, 4>> out;
  for (auto it = std::sregex_iterator(pca.begin(), pca.end(), arrow); it != std::sregex_iterator();
       ++it) {
    out.push_back(
        {std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]), std::stod((*it)[4])});
  }
  return out;
}
}  // namespace

TEST_CASE("the PCA plot puts the fixture's rows where a closed-form 2x2 PCA does") {
  const json report = read_report(fixture("inspect-run"));
  const std::string first = render_html_report(report, sample_epochs());
  CHECK(first == render_html_report(report, sample_epochs()));  // deterministic
  const std::string pca = svg_of(first, "pca");

  // The 12 points (before and after rows, in plot order: happy, <b>&"x', joyful, sad, gone, meh).
  const double before[6][2] = {{1, 0}, {1, 1}, {0, 1}, {-1, 0}, {0, -1}, {0.5, 0.5}};
  const double after[6][2] = {{1, 0.5}, {1.3f, 1}, {0.1f, 1}, {-1, 0}, {0, -1}, {0.5, 0.5}};
  // Mean and covariance (divided by n = 12), then the eigenvectors of [[a, b], [b, c]] in
  // closed form: lambda = (a + c)/2 +- sqrt(((a - c)/2)^2 + b^2), v1 ~ (b, lambda1 - a), v2 ⟂ v1;
  // each signed so that its largest entry is positive.
  double mx = 0, my = 0;
  for (int i = 0; i < 6; ++i) mx += before[i][0] + after[i][0], my += before[i][1] + after[i][1];
  mx /= 12, my /= 12;
  double a = 0, b = 0, c = 0;
  for (const auto* p : {&before, &after}) {
    for (int i = 0; i < 6; ++i) {
      const double dx = (*p)[i][0] - mx, dy = (*p)[i][1] - my;
      a += dx * dx / 12, b += dx * dy / 12, c += dy * dy / 12;
    }
  }
  const double root = std::sqrt((a - c) * (a - c) / 4 + b * b);
  const double l1 = (a + c) / 2 + root, l2 = (a + c) / 2 - root;
  double v1[2] = {b, l1 - a};
  const double n1 = std::hypot(v1[0], v1[1]);
  v1[0] /= n1, v1[1] /= n1;
  if (std::fabs(v1[1]) > std::fabs(v1[0]) ? v1[1] < 0 : v1[0] < 0) v1[0] = -v1[0], v1[1] = -v1[1];
  double v2[2] = {-v1[1], v1[0]};
  if (std::fabs(v2[1]) > std::fabs(v2[0]) ? v2[1] < 0 : v2[0] < 0) v2[0] = -v2[0], v2[1] = -v2[1];
  // PC1 explains 70% and PC2 30% of the variance (l1 / (l1 + l2) = 0.7024).
  CHECK(l1 / (l1 + l2) == Approx(0.7024).margin(1e-4));
  CHECK_THAT(pca, embtrain::test::contains(">PC1 (70% of variance)<") &&
                      embtrain::test::contains(">PC2 (30% of variance)<"));

  // Projections, then the page's box: 960 x 620 with a 40 px margin, y pointing down. The
  // longest arrow (happy, ~180 px) is over 30 px, so the arrows are to scale.
  double proj[12][2], lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  for (int i = 0; i < 12; ++i) {
    const double* p = i < 6 ? before[i] : after[i - 6];
    proj[i][0] = (p[0] - mx) * v1[0] + (p[1] - my) * v1[1];
    proj[i][1] = (p[0] - mx) * v2[0] + (p[1] - my) * v2[1];
    for (int k = 0; k < 2; ++k)
      lo[k] = std::min(lo[k], proj[i][k]), hi[k] = std::max(hi[k], proj[i][k]);
  }
  // One scale for both axes (so that the plot's shape follows the variance shares), the rows
  // centred in the area left of the legend's column: x 40..720, y 40..580.
  const double scale = std::min(680 / (hi[0] - lo[0]), 540 / (hi[1] - lo[1]));
  const double left = 40 + (680 - (hi[0] - lo[0]) * scale) / 2;
  const double bottom = 580 - (540 - (hi[1] - lo[1]) * scale) / 2;
  auto sx = [&](double x) { return left + (x - lo[0]) * scale; };
  auto sy = [&](double y) { return bottom - (y - lo[1]) * scale; };
  const auto drawn = arrows(pca);
  REQUIRE(drawn.size() == 6);
  for (int i = 0; i < 6; ++i) {
    INFO("arrow " << i);
    const double expected[4] = {sx(proj[i][0]), sy(proj[i][1]), sx(proj[i + 6][0]),
                                sy(proj[i + 6][1])};
    for (int k = 0; k < 4; ++k) CHECK(drawn[i][k] == Approx(expected[k]).margin(0.051));  // "%.1f"
  }
  // PC1's spread is the larger relative to the box: it fills the width (sad, the leftmost point,
  // at x = 40; the rightmost at 720, left of the legend), and PC2 gets as many pixels per unit,
  // so the plot's height over its width is PC2's spread over PC1's.
  CHECK(scale == Approx(680 / (hi[0] - lo[0])));
  CHECK(drawn[3][0] == Approx(40).margin(0.051));
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  for (const auto& arrow : drawn) {
    for (const double x : {arrow[0], arrow[2]}) x_min = std::min(x_min, x), x_max = std::max(x_max, x);
    for (const double y : {arrow[1], arrow[3]}) y_min = std::min(y_min, y), y_max = std::max(y_max, y);
  }
  CHECK((y_max - y_min) / (x_max - x_min) == Approx((hi[1] - lo[1]) / (hi[0] - lo[0])).margin(0.001));
  CHECK(x_max <= 720.05);  // never under the legend
  CHECK_THAT(pca, embtrain::test::contains("<title>happy: moved 0.5</title>"));
  CHECK_THAT(first, embtrain::test::contains("6 tokens plotted; 6 labelled (the rows that moved most, where a label fits without covering another). Arrows are to scale."));
}

TEST_CASE("the heatmap draws report.json's diff: cells, colours, order") {
  const std::string heatmap =
      svg_of(render_html_report(read_report(fixture("inspect-run")), {}), "heatmap");
  // 2 dimensions: 28 px cells from x = 130, 16 px rows from y = 28, largest change first. The
  // colour scale is the largest |diff| shown (0.5): happy's +0.5 is the full red (178, 24, 43);
  // <b>'s +0.3 is 60% of the way from white (209, 116, 128); joyful's +0.1 20% (240, 209, 213).
  CHECK_THAT(heatmap,
             embtrain::test::contains(
                 "<rect class=\"cell\" x=\"158.0\" y=\"28.0\" width=\"28.00\" height=\"16.0\" "
                 "fill=\"#b2182b\"><title>happy [1]: +0.5</title></rect>"));
  CHECK_THAT(heatmap,
             embtrain::test::contains(
                 "<rect class=\"cell\" x=\"130.0\" y=\"44.0\" width=\"28.00\" height=\"16.0\" "
                 "fill=\"#d17480\"><title>&lt;b&gt;&amp;&quot;x&#39; [0]: +0.3</title></rect>"));
  CHECK_THAT(heatmap,
             embtrain::test::contains("x=\"130.0\" y=\"60.0\" width=\"28.00\" height=\"16.0\" "
                                      "fill=\"#f0d1d5\"><title>joyful [0]: +0.1</title>"));
  CHECK(count(heatmap, "fill=\"#ffffff\"><title>") == 12 - 3);
  CHECK_THAT(heatmap,
             embtrain::test::contains(">-0.5</text>") && embtrain::test::contains(">+0.5</text>"));
  // The diff is report.json's, not after - before: change it and the cell follows.
  json report = read_report(fixture("inspect-run"));
  report["diff"][0][1] = -0.25;
  const std::string changed = svg_of(render_html_report(report, {}), "heatmap");
  CHECK_THAT(changed, embtrain::test::contains("<title>happy [1]: -0.25</title>"));
}

TEST_CASE("the curves are at the epochs and values of metrics.jsonl") {
  const std::string curves =
      svg_of(render_html_report(read_report(fixture("inspect-run")), sample_epochs()), "curves");
  // Epochs 1..3 span x = 60..450 (loss) and 540..930 (accuracy). Loss values 0.4..0.7, padded by
  // 5% to 0.385..0.715, then widened to whole ticks of 0.1 (the round step near 0.33 / 4):
  // 0.3..0.8 spans y = 284..34, so y = 284 - (v - 0.3) * 500. Accuracy 0..1: y = 284 - 250 v.
  CHECK_THAT(curves, embtrain::test::contains("<polyline class=\"curve train\" stroke=\"#1f6feb\" "
                                              "points=\"60.0,134.0 255.0,184.0 450.0,234.0\">"));
  CHECK_THAT(curves, embtrain::test::contains("<polyline class=\"curve valid\" stroke=\"#e8590c\" "
                                              "points=\"60.0,84.0 255.0,134.0 450.0,184.0\">"));
  // Ticks at round values: 0.3 .. 0.8 for the loss, 0.00 .. 1.00 by 0.25 for accuracy.
  for (const char* tick : {">0.3</text>", ">0.5</text>", ">0.8</text>", ">0.25</text>", ">1.00</text>"}) {
    CHECK_THAT(curves, embtrain::test::contains(tick));
  }
  CHECK(curves.find(">0.715") == std::string::npos);
  CHECK_THAT(curves, embtrain::test::contains("points=\"540.0,134.0 735.0,109.0 930.0,84.0\">"));
  CHECK_THAT(curves, embtrain::test::contains("points=\"540.0,159.0 735.0,159.0 930.0,159.0\">"));
}

TEST_CASE("a word run's curves: train loss, and valid Spearman in the right panel") {
  std::vector<nlohmann::json> epochs;
  for (int e = 1; e <= 3; ++e) {
    epochs.push_back({{"epoch", e},
                      {"train", {{"loss", 0.7 - 0.1 * e}, {"words", 100}}},
                      {"valid", {{"spearman", 0.1 * e}, {"pairs", 300}}}});
  }
  const std::string curves = svg_of(render_html_report(read_report(fixture("inspect-run")), epochs), "curves");
  CHECK_THAT(curves, embtrain::test::contains(">spearman</text>"));
  CHECK(curves.find(">accuracy</text>") == std::string::npos);
  // Spearman 0.1, 0.2, 0.3 on 0..1: y = 284 - 250 v.
  CHECK_THAT(curves, embtrain::test::contains("<polyline class=\"curve valid\" stroke=\"#e8590c\" "
                                              "points=\"540.0,259.0 735.0,234.0 930.0,209.0\">"));
  CHECK(count(curves, "<polyline class=\"curve ") == 2);  // train loss, valid spearman
}

TEST_CASE("the tables hold inspect's rows, the summary the report's numbers") {
  const std::string html = render_html_report(read_report(fixture("inspect-run")), {});
  CHECK_THAT(html, embtrain::test::contains(
                       "<tr><td class=\"token\">happy</td><td>0.5000</td><td>0.89443</td><td>2</td>"
                       "<td>5</td><td>3</td><td class=\"why\">non-zero gradient in some steps; "
                       "Adam&#39;s momentum keeps moving it after</td></tr>"));
  CHECK(count(html, "<table class=\"tokens\">") == 2);
  CHECK(count(html, "<tr><td class=\"token\">") == 3 + 3 + 2);  // most, least, pairs
  CHECK_THAT(html, embtrain::test::contains("<h3>Never moved: 3 rows</h3>"));
  CHECK_THAT(html,
             embtrain::test::contains("<td>1</td><td><span class=\"token\">gone</span></td>"));
  CHECK_THAT(html, embtrain::test::contains(
                       "<td>0.00000</td><td>0.53399</td><td>+0.53399</td><td>closer</td>"));
  CHECK_THAT(html, embtrain::test::contains("<td colspan=\"4\">not in the vocabulary: nope</td>"));
  CHECK_THAT(html, embtrain::test::contains(
                       "<div class=\"value\">6</div><div class=\"name\">embedding rows</div>"));
  CHECK_THAT(html, embtrain::test::contains("<div class=\"name\">largest change (0.5000)</div>"));
  CHECK_THAT(html, embtrain::test::contains("<div class=\"value\">0.5000 / 0.750</div><div "
                                            "class=\"name\">train loss / accuracy</div>"));
  CHECK_THAT(html,
             embtrain::test::contains("seed <code>1</code> &middot; device <code>cpu</code>"));
}

TEST_CASE("a hostile report.json is an Error naming the field") {
  json report = read_report(fixture("inspect-run"));
  report["diff"].erase(5);
  CHECK_THROWS_WITH(render_html_report(report, {}), embtrain::test::contains("'diff'"));
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
  CHECK_THAT(missing.err, embtrain::test::starts_with("embtrain: error:") &&
                              embtrain::test::contains("nothing"));
  CHECK(run_cli("report").code == 2);
  CHECK_THAT(run_cli("report --help").out, embtrain::test::contains("Examples:"));
}

TEST_CASE("the legend shows label names as they are, inside its box, in a column no arrow enters") {
  json report = read_report(fixture("inspect-run"));
  const std::string longest = "a_label_far_too_long_for_the_legend_column_of_the_page";
  report["labels"] = {"sport", longest};
  const std::string pca = svg_of(render_html_report(report, sample_epochs()), "pca");
  CHECK_THAT(pca, embtrain::test::contains(">mostly sport</text>"));  // no quotes around it
  CHECK(pca.find("&quot;mostly") == std::string::npos);
  // The long name is shortened with an ellipsis; its tooltip keeps it whole.
  CHECK_THAT(pca, embtrain::test::contains("<title>mostly " + longest + "</title>"));
  CHECK(pca.find(">mostly " + longest + "</text>") == std::string::npos);
  CHECK_THAT(pca, embtrain::test::contains("\u2026</text>"));
  // The box starts 10 px left of the column (x = 730) and is at most the column's 230 px wide.
  const std::regex box("class=\"legend-box\" x=\"-10\" y=\"-16\" width=\"([0-9.]+)\"");
  std::smatch found;
  REQUIRE(std::regex_search(pca, found, box));
  CHECK(std::stod(found[1]) <= 230.0);
  CHECK_THAT(pca, embtrain::test::contains("<g class=\"legend\" transform=\"translate(730.0 24)\">"));
}

TEST_CASE("a component with no variance is drawn flat, not stretched to the plot's height") {
  json report = read_report(fixture("inspect-run"));
  // Every row on the x axis: PC2 explains 0% of the variance.
  const size_t rows = report["vocab"].size();
  for (const char* key : {"before", "after"}) {
    for (size_t i = 0; i < rows; ++i) report[key][i][1] = 0.0;
  }
  for (size_t i = 0; i < rows; ++i) report["diff"][i][1] = 0.0;
  const std::string pca = svg_of(render_html_report(report, sample_epochs()), "pca");
  CHECK_THAT(pca, embtrain::test::contains(">PC2 (0% of variance)<"));
  double y_min = INFINITY, y_max = -INFINITY;
  for (const auto& arrow : arrows(pca)) {
    for (const double y : {arrow[1], arrow[3]}) y_min = std::min(y_min, y), y_max = std::max(y_max, y);
  }
  CHECK(y_max - y_min < 1.0);                  // a flat line
  CHECK(y_min == Approx(310).margin(0.051));   // in the middle of the 40..580 band
}
