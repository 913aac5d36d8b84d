// tune_report.cpp — render_tune_html: the search's page (tune_report.h).
#include "embtrain/text/tune_report.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "embtrain/text/html_text.h"

namespace embtrain {
namespace {

using nlohmann::json;

const char* status_color(const std::string& status) {
  if (status == "complete") return "#1f6feb";
  if (status == "pruned") return "#e8590c";
  return "#868e96";  // budget, failed
}

// A panel's frame: x and y map [x0, x1] × [y0, y1] onto a 400 × 220 plot at (left, top).
struct Frame {
  double left = 60, top = 30, width = 400, height = 220;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  bool log_x = false;
  double px(double x) const {
    const double a = log_x ? std::log(x0) : x0, b = log_x ? std::log(x1) : x1;
    const double v = log_x ? std::log(x) : x;
    return left + (b > a ? (v - a) / (b - a) : 0.5) * width;
  }
  double py(double y) const { return top + height - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * height; }
};

std::string num(double v) { return html_number(v, "%.1f"); }

std::string axes(const Frame& f, const std::string& x_label, const std::string& y_label, const std::string& x_lo,
                 const std::string& x_hi) {
  return "<rect class=\"frame\" x=\"" + num(f.left) + "\" y=\"" + num(f.top) + "\" width=\"" + num(f.width) +
         "\" height=\"" + num(f.height) + "\" fill=\"none\" stroke=\"#ced4da\"/>" + "<text x=\"" + num(f.left) +
         "\" y=\"" + num(f.top + f.height + 16) + "\">" + html_escape(x_lo) + "</text><text x=\"" +
         num(f.left + f.width) + "\" y=\"" + num(f.top + f.height + 16) + "\" text-anchor=\"end\">" +
         html_escape(x_hi) + "</text><text x=\"" + num(f.left + f.width / 2) + "\" y=\"" +
         num(f.top + f.height + 32) + "\" text-anchor=\"middle\">" + html_escape(x_label) + "</text>" +
         "<text x=\"" + num(f.left - 8) + "\" y=\"" + num(f.top + 4) + "\" text-anchor=\"end\">" +
         html_number(f.y1, "%.4f") + "</text><text x=\"" + num(f.left - 8) + "\" y=\"" +
         num(f.top + f.height) + "\" text-anchor=\"end\">" + html_number(f.y0, "%.4f") + "</text>" +
         "<text class=\"panel-title\" x=\"" + num(f.left) + "\" y=\"18\">" + html_escape(y_label) + "</text>\n";
}

struct Scored {
  const Trial* trial;
  double value, ended;  // its result (a stopped trial: its best epoch); when it ended on the search's clock (s)
  bool complete;        // only complete trials' results can be the search's best (tune.h)
};

// The scored trials, with the time each ended: waves run one after another, and a wave ends
// with its slowest trial.
std::vector<Scored> scored_trials(const TuneSummary& s) {
  std::vector<Scored> out;
  double clock = 0;
  const auto wave = static_cast<size_t>(std::max<int64_t>(s.parallel, 1));
  for (size_t w = 0; w < s.trials.size(); w += wave) {
    double slowest = 0;
    for (size_t i = w; i < std::min(w + wave, s.trials.size()); ++i) slowest = std::max(slowest, s.trials[i].seconds);
    for (size_t i = w; i < std::min(w + wave, s.trials.size()); ++i) {
      const auto result = s.trials[i].result();
      const auto value = result ? result : s.trials[i].best(s.metric);
      if (value && std::isfinite(*value)) out.push_back({&s.trials[i], *value, clock + s.trials[i].seconds, result.has_value()});
    }
    clock += slowest;
  }
  return out;
}

Frame value_frame(const std::vector<Scored>& scored, Frame f) {
  f.y0 = INFINITY, f.y1 = -INFINITY;
  for (const auto& t : scored) f.y0 = std::min(f.y0, t.value), f.y1 = std::max(f.y1, t.value);
  if (!(f.y1 > f.y0)) f.y0 -= 0.5, f.y1 += 0.5;
  const double pad = (f.y1 - f.y0) * 0.05;
  f.y0 -= pad, f.y1 += pad;
  return f;
}

std::string dot(double x, double y, const Trial& t, double value) {
  return "<circle class=\"trial " + html_escape(t.status) + "\" cx=\"" + num(x) + "\" cy=\"" + num(y) +
         "\" r=\"4\" fill=\"" + status_color(t.status) + "\"><title>trial " + std::to_string(t.index) + ": " +
         html_number(value, "%.4f") + " (" + html_escape(t.status) + ")</title></circle>";
}

// The metric of each trial against the time it ended, and the best so far.
std::string time_panel(const TuneSummary& s, const std::vector<Scored>& scored) {
  Frame f = value_frame(scored, Frame{});
  for (const auto& t : scored) f.x1 = std::max(f.x1, t.ended);
  std::string svg = "<svg id=\"by-time\" viewBox=\"0 0 500 290\" role=\"img\" aria-label=\"metric against time\">\n" +
                    axes(f, "seconds into the search", "valid " + s.metric.name + " of each trial", "0",
                         html_number(f.x1, "%.0f") + " s");
  std::string best;
  std::optional<double> so_far;
  for (const auto& t : scored) {
    if (!t.complete) continue;
    if (!so_far || (s.metric.maximise ? t.value > *so_far : t.value < *so_far)) {
      if (so_far) best += " " + num(f.px(t.ended)) + "," + num(f.py(*so_far));
      so_far = t.value;
      best += (best.empty() ? "" : " ") + num(f.px(t.ended)) + "," + num(f.py(t.value));
    }
  }
  if (so_far) best += " " + num(f.px(f.x1)) + "," + num(f.py(*so_far));
  svg += "<polyline class=\"best\" fill=\"none\" stroke=\"#2b8a3e\" points=\"" + best + "\"><title>best so far</title></polyline>\n";
  for (const auto& t : scored) svg += dot(f.px(t.ended), f.py(t.value), *t.trial, t.value);
  return svg + "\n</svg>\n";
}

// One searched key's values against the metric.
std::string key_panel(const TuneSummary& s, const std::vector<Scored>& scored, const SearchKey& key, size_t index) {
  Frame f = value_frame(scored, Frame{});
  const bool choice = key.kind == SearchKey::Kind::choice;
  f.log_x = key.kind == SearchKey::Kind::loguniform || key.kind == SearchKey::Kind::loginteger;
  f.x0 = choice ? -0.5 : key.low;
  f.x1 = choice ? static_cast<double>(key.choices.size()) - 0.5 : key.high;
  const std::string lo = choice ? key.choices.front().dump() : html_number(key.low, "%g");
  const std::string hi = choice ? key.choices.back().dump() : html_number(key.high, "%g");
  std::string svg = "<svg id=\"key-" + std::to_string(index) + "\" viewBox=\"0 0 500 290\" role=\"img\" aria-label=\"" +
                    html_escape(key.key) + " against the metric\">\n" +
                    axes(f, key.key + (f.log_x ? " (log scale)" : ""), "valid " + s.metric.name, lo, hi);
  for (const auto& t : scored) {
    if (!t.trial->params.contains(key.key)) continue;
    const json& v = t.trial->params[key.key];
    double x = 0;
    if (choice) {
      const auto at = std::find(key.choices.begin(), key.choices.end(), v);
      if (at == key.choices.end()) continue;
      x = static_cast<double>(at - key.choices.begin());
    } else if (v.is_number()) {
      x = v.get<double>();
    } else {
      continue;
    }
    svg += dot(f.px(x), f.py(t.value), *t.trial, t.value);
  }
  return svg + "\n</svg>\n";
}

std::string trials_table(const TuneSummary& s) {
  std::string html = "<table class=\"trials\"><tr><th>trial</th><th>status</th><th>valid " +
                     html_escape(s.metric.name) + " kept</th><th>best epoch's</th><th>epochs</th><th>seconds</th><th>keys</th></tr>\n";
  for (const auto& t : s.trials) {
    const auto result = t.result();
    const auto value = t.best(s.metric);
    html += "<tr><td>" + std::to_string(t.index) + "</td><td>" + html_escape(t.status) + "</td><td>" +
            (result ? html_number(*result, "%.4f") : "-") + "</td><td>" + (value ? html_number(*value, "%.4f") : "-") +
            "</td><td>" + std::to_string(t.metric.size()) + "</td><td>" +
            html_number(t.seconds, "%.1f") + "</td><td>" + html_escape(t.params.dump()) + "</td></tr>\n";
  }
  return html + "</table>\n";
}

}  // namespace

std::string render_tune_html(const TuneSummary& s) {
  const std::vector<Scored> scored = scored_trials(s);
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>embtrain tune: " + html_escape(s.title) +
      "</title>\n<style>body{font:14px system-ui,sans-serif;margin:24px;color:#212529}svg{width:500px;margin:8px}"
      "text{font-size:11px;fill:#495057}.panel-title{font-weight:600}table{border-collapse:collapse}"
      "td,th{padding:2px 8px;border-bottom:1px solid #dee2e6;text-align:left}</style></head><body>\n<h1>embtrain "
      "tune</h1>\n<p>" + html_escape(s.title) + ": " + std::to_string(s.trials.size()) + " trials, valid " +
      html_escape(s.metric.name) + " (" + (s.metric.maximise ? "higher" : "lower") +
      " is better). Dots: <span style=\"color:#1f6feb\">complete</span>, <span style=\"color:#e8590c\">pruned</span>, "
      "<span style=\"color:#868e96\">stopped by the budget</span>. A complete trial's dot is the metric of the weights its "
      "run kept (its last epoch, or early stopping's best), which its config reproduces; a stopped trial's is its best "
      "epoch, which no config reproduces, so the green line, the best so far, follows complete trials only.</p>\n";
  if (scored.empty()) return html + "<p>No trial has scored an epoch yet.</p>\n" + trials_table(s) + "</body></html>\n";
  html += time_panel(s, scored);
  for (size_t k = 0; k < s.space.size(); ++k) html += key_panel(s, scored, s.space[k], k);
  return html + trials_table(s) + "</body></html>\n";
}

}  // namespace embtrain
