// test_tune_report.cpp — the search's page: dots and the best-so-far line at coordinates worked
// out by hand, a log axis for a log key, and failed trials in the table only.
#include "../catch.h"

#include <string>

#include "embtrain/text/tune_report.h"

using namespace embtrain;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

Trial trial(int64_t index, std::vector<double> metric, double seconds, const std::string& status, double lr) {
  Trial t;
  t.index = index;
  t.metric = std::move(metric);
  t.seconds = seconds;
  t.status = status;
  t.params = {{"train.lr", lr}};
  return t;
}

std::string svg_of(const std::string& html, const std::string& id) {
  const size_t begin = html.find("<svg id=\"" + id + "\"");
  return begin == std::string::npos ? "" : html.substr(begin, html.find("</svg>", begin) - begin);
}

}  // namespace

TEST_CASE("the search's page: each trial against time, the best so far, each key against the metric") {
  TuneSummary s;
  s.space = {parse_search("train.lr=loguniform(1e-3,1e-1)")};
  s.metric = {"accuracy", true, ""};
  s.title = "configs/spam.json";
  s.trials = {trial(0, {0.6, 0.8}, 10, "complete", 0.01), trial(1, {0.7}, 5, "pruned", 0.001),
              trial(2, {0.9}, 8, "complete", 0.1), trial(3, {}, 1, "failed", 0.05)};
  const std::string html = render_tune_html(s);
  const std::string by_time = svg_of(html, "by-time");
  // Trials end at 10, 15 and 23 s (one after another); values 0.8, 0.7, 0.9 padded by 5% of the
  // range to 0.69..0.91: x = 60 + 400 t / 23, y = 250 - (v - 0.69) / 0.22 * 220.
  CHECK(count(by_time, "<circle class=\"trial") == 3);  // the failed trial has no dot
  CHECK_THAT(by_time, embtrain::test::contains("cx=\"233.9\" cy=\"140.0\""));
  CHECK_THAT(by_time, embtrain::test::contains("cx=\"320.9\" cy=\"240.0\""));
  CHECK_THAT(by_time, embtrain::test::contains("points=\"233.9,140.0 460.0,140.0 460.0,40.0 460.0,40.0\""));
  // train.lr on a log axis from 1e-3 to 1e-1: 0.01 sits in the middle, x = 260.
  const std::string lr = svg_of(html, "key-0");
  CHECK(count(lr, "<circle class=\"trial") == 3);
  CHECK_THAT(lr, embtrain::test::contains("cx=\"260.0\" cy=\"140.0\""));
  CHECK_THAT(lr, embtrain::test::contains("train.lr (log scale)"));
  CHECK(count(html, "<tr><td>") == 4);  // every trial in the table, the failed one too
  CHECK_THAT(html, embtrain::test::contains("<td>3</td><td>failed</td><td>-</td>"));
}

TEST_CASE("the page: a complete trial at the epoch its run kept, a stopped one apart from the best so far") {
  TuneSummary s;
  s.space = {parse_search("train.lr=loguniform(1e-3,1e-1)")};
  s.metric = {"accuracy", true, ""};
  // Trial 0 peaked at epoch 2 (0.9) and kept its last epoch (0.7); trial 1 was pruned at 0.95,
  // better than any complete trial; trial 2 kept epoch 1 (early stopping) at 0.8.
  Trial kept = trial(2, {0.8, 0.6}, 10, "complete", 0.1);
  kept.kept_epoch = 1;
  s.trials = {trial(0, {0.5, 0.9, 0.7}, 10, "complete", 0.01), trial(1, {0.95}, 10, "pruned", 0.001), kept};
  CHECK(*s.trials[0].result() == 0.7);
  CHECK_FALSE(s.trials[1].result());
  CHECK(*s.trials[2].result() == 0.8);
  CHECK(best_trial(s.trials, s.metric) == &s.trials[2]);
  const std::string by_time = svg_of(render_tune_html(s), "by-time");
  // Ends at 10, 20, 30 s; values 0.7, 0.95, 0.8 padded to 0.6875..0.9625: x = 60 + 400 t / 30,
  // y = 250 - (v - 0.6875) / 0.275 * 220.
  CHECK_THAT(by_time, embtrain::test::contains("cx=\"193.3\" cy=\"240.0\""));  // trial 0 at 0.7, not 0.9
  CHECK_THAT(by_time, embtrain::test::contains("cx=\"326.7\" cy=\"40.0\""));   // the pruned trial's dot
  // The best so far: 0.7 from 10 s, 0.8 from 30 s; the pruned 0.95 is not on it.
  CHECK_THAT(by_time, embtrain::test::contains("points=\"193.3,240.0 460.0,240.0 460.0,160.0 460.0,160.0\""));
  CHECK_THAT(render_tune_html(s), embtrain::test::contains("<td>1</td><td>pruned</td><td>-</td><td>0.9500</td>"));
}

TEST_CASE("the search's page before any trial has scored an epoch") {
  TuneSummary s;
  s.metric = {"loss", false, ""};
  s.trials = {trial(0, {}, 1, "failed", 0.01)};
  const std::string html = render_tune_html(s);
  CHECK_THAT(html, embtrain::test::contains("No trial has scored an epoch yet"));
  CHECK(html.find("<svg") == std::string::npos);
}
