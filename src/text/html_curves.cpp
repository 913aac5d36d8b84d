// html_curves.cpp — the loss and accuracy panels of report.html.
//
// Coordinates are printed with one decimal ("%.1f"): the page is the same bytes for the same
// metrics.
#include "embtrain/text/html_curves.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "embtrain/text/html_text.h"

namespace embtrain {
namespace {

using nlohmann::json;

const char* const kSeriesColors[] = {"#1f6feb", "#e8590c", "#2b8a3e"};  // train, valid, test

std::string num(double value, const char* format = "%.1f") { return html_number(value, format); }

double number_or_nan(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : std::nan("");
}

struct Series {
  std::string set;  // train | valid | test
  size_t color = 0;
};

// One loss or accuracy panel: where it sits and the value range its y axis spans.
struct Panel {
  const char* metric = "loss";
  int index = 0;  // 0: loss, 1: accuracy
  double left = 60, top = 34, width = 390, height = 250;
  double low = 0, high = 1, first_epoch = 1, epoch_span = 1;
  double step = 0.25;  // between value ticks: a round number
  int decimals = 2;    // what a tick label needs to show `step` exactly

  double px(double epoch) const { return left + (epoch - first_epoch) / epoch_span * width; }
  double py(double v) const { return top + height - (v - low) / (high - low) * height; }
};

std::vector<Series> present_series(const std::vector<json>& epochs) {
  std::vector<Series> series;
  const char* const sets[] = {"train", "valid", "test"};
  for (size_t s = 0; s < 3; ++s) {
    const bool present = std::any_of(epochs.begin(), epochs.end(), [&](const json& e) {
      return e.is_object() && e.contains(sets[s]) && e[sets[s]].is_object();
    });
    if (present) series.push_back({sets[s], s});
  }
  return series;
}

// The epoch of line i: its "epoch" field, else i + 1.
double epoch_of(const json& line, size_t i) {
  return line.is_object() && line.contains("epoch") ? number_or_nan(line, "epoch")
                                                    : static_cast<double>(i + 1);
}

// A round tick step near `rough`: 1, 2, 2.5 or 5 times a power of ten.
double nice_step(double rough) {
  if (!(rough > 0) || !std::isfinite(rough)) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(rough)));
  for (const double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (factor * power >= rough) return factor * power;
  }
  return 10 * power;
}

// The right panel's metric: accuracy, or a word run's valid Spearman (its epochs have no accuracy).
const char* score_metric(const std::vector<json>& epochs) {
  bool accuracy = false, spearman = false;
  for (const auto& e : epochs) {
    if (!e.is_object()) continue;
    for (const char* set : {"train", "valid", "test"}) {
      if (!e.contains(set) || !e[set].is_object()) continue;
      accuracy = accuracy || e[set].contains("accuracy");
      spearman = spearman || e[set].contains("spearman");
    }
  }
  return !accuracy && spearman ? "spearman" : "accuracy";
}

// The panel's y range: the loss values' range padded by 5% (stopping at 0), or 0..1; a loss
// range is widened to whole tick steps, so that the ticks sit on round numbers at the edges.
Panel make_panel(const std::vector<json>& epochs, const std::vector<Series>& series, int index,
                 double first_epoch, double last_epoch) {
  Panel p;
  p.metric = index == 0 ? "loss" : score_metric(epochs);
  p.index = index;
  p.left = 60 + index * 480;
  double low = INFINITY, high = -INFINITY;
  for (const auto& e : epochs) {
    for (const auto& s : series) {
      if (!e.is_object() || !e.contains(s.set)) continue;
      const double v = number_or_nan(e[s.set], p.metric);
      if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
    }
  }
  // Accuracy: the whole range; Spearman: up to 1, down to 0 or the lowest value.
  if (index == 1) low = std::isfinite(low) ? std::min(0.0, low) : 0.0, high = 1;
  if (!std::isfinite(low)) low = 0, high = 1;
  if (high - low < 1e-12) low -= 0.5, high += 0.5;
  const double pad = index == 0 ? (high - low) * 0.05 : 0;
  p.low = low >= 0 ? std::max(0.0, low - pad) : low - pad;  // a loss axis stops at 0
  p.high = high + pad;
  p.step = nice_step((p.high - p.low) / 4);
  if (index == 0) {
    p.low = std::floor(p.low / p.step + 1e-9) * p.step;
    p.high = std::ceil(p.high / p.step - 1e-9) * p.step;
  }
  // 0.25 needs two decimals, 0.2 one, 20 none.
  const double power = std::floor(std::log10(p.step) + 1e-9);
  const bool quarter = std::abs(p.step / std::pow(10.0, power) - 2.5) < 1e-9;
  p.decimals = std::max(0, static_cast<int>(-power) + (quarter ? 1 : 0));
  p.first_epoch = first_epoch;
  p.epoch_span = last_epoch > first_epoch ? last_epoch - first_epoch : 1.0;
  return p;
}

// Title, frame, value ticks at round numbers (nice_step), the first and last epoch, the axis
// name.
std::string panel_frame(const Panel& p, double last_epoch) {
  std::string svg =
      "<text class=\"panel-title\" x=\"" + num(p.left) + "\" y=\"22\">" + p.metric + "</text>";
  svg += "<rect class=\"frame\" x=\"" + num(p.left) + "\" y=\"" + num(p.top) + "\" width=\"" +
         num(p.width) + "\" height=\"" + num(p.height) + "\"/>\n";
  const double step = p.step;
  const std::string format = "%." + std::to_string(p.decimals) + "f";
  for (double v = std::ceil(p.low / step - 1e-9) * step; v <= p.high + step * 1e-9; v += step) {
    svg += "<line class=\"grid\" x1=\"" + num(p.left) + "\" x2=\"" + num(p.left + p.width) +
           "\" y1=\"" + num(p.py(v)) + "\" y2=\"" + num(p.py(v)) + "\"/><text class=\"tick\" x=\"" +
           num(p.left - 6) + "\" y=\"" + num(p.py(v) + 4) + "\" text-anchor=\"end\">" +
           num(std::abs(v) < step * 1e-9 ? 0.0 : v, format.c_str()) + "</text>\n";
  }
  for (const double epoch : {p.first_epoch, last_epoch}) {
    svg += "<text class=\"tick\" x=\"" + num(p.px(epoch)) + "\" y=\"" + num(p.top + p.height + 16) +
           "\" text-anchor=\"middle\">" + num(epoch, "%.0f") + "</text>";
  }
  return svg + "<text class=\"axis\" x=\"" + num(p.left + p.width / 2) + "\" y=\"" +
         num(p.top + p.height + 32) + "\" text-anchor=\"middle\">epoch</text>\n";
}

// One series' polyline in a panel, and a dot at its last point.
std::string panel_curve(const Panel& p, const Series& s, const std::vector<json>& epochs) {
  std::string points;
  double last_x = NAN, last_y = NAN;
  for (size_t i = 0; i < epochs.size(); ++i) {
    const json& e = epochs[i];
    if (!e.is_object() || !e.contains(s.set)) continue;
    const double v = number_or_nan(e[s.set], p.metric);
    const double epoch = e.contains("epoch") ? number_or_nan(e, "epoch") : double(i + 1);
    if (!std::isfinite(v) || !std::isfinite(epoch)) continue;
    last_x = p.px(epoch), last_y = p.py(v);
    points += (points.empty() ? "" : " ") + num(last_x) + "," + num(last_y);
  }
  if (points.empty()) return "";  // a set without this metric (a word run's valid has no loss)
  std::string svg = "<polyline class=\"curve " + s.set + "\" stroke=\"" + kSeriesColors[s.color] +
                    "\" points=\"" + points + "\"><title>" + s.set + " " + p.metric +
                    "</title></polyline>";
  if (std::isfinite(last_x)) {
    svg += "<circle class=\"end\" fill=\"" + std::string(kSeriesColors[s.color]) + "\" cx=\"" +
           num(last_x) + "\" cy=\"" + num(last_y) + "\" r=\"3\"/>";
  }
  return svg + "\n";
}

std::string curves_legend(const std::vector<Series>& series) {
  std::string svg;
  double x = 930 - 80.0 * static_cast<double>(series.size());
  for (const auto& s : series) {
    svg += "<line class=\"key\" stroke=\"" + std::string(kSeriesColors[s.color]) + "\" x1=\"" +
           num(x) + "\" x2=\"" + num(x + 24) + "\" y1=\"18\" y2=\"18\"/><text x=\"" + num(x + 30) +
           "\" y=\"22\">" + s.set + "</text>";
    x += 80;
  }
  return svg;
}

}  // namespace

std::string curves_svg(const std::vector<json>& epochs) {
  std::string svg =
      "<svg id=\"curves\" viewBox=\"0 0 960 330\" role=\"img\" "
      "aria-label=\"loss and accuracy per epoch\">\n";
  const std::vector<Series> series = present_series(epochs);
  double first_epoch = INFINITY, last_epoch = -INFINITY;
  for (size_t i = 0; i < epochs.size(); ++i) {
    const double e = epoch_of(epochs[i], i);
    if (std::isfinite(e))
      first_epoch = std::min(first_epoch, e), last_epoch = std::max(last_epoch, e);
  }
  if (epochs.empty() || series.empty() || !std::isfinite(first_epoch)) {
    return svg +
           "<text class=\"empty\" x=\"480\" y=\"165\" text-anchor=\"middle\">no metrics "
           "recorded</text>\n</svg>\n";
  }
  for (int index = 0; index < 2; ++index) {
    const Panel panel = make_panel(epochs, series, index, first_epoch, last_epoch);
    svg += panel_frame(panel, last_epoch);
    for (const auto& s : series) svg += panel_curve(panel, s, epochs);
  }
  return svg + curves_legend(series) + "\n</svg>\n";
}

}  // namespace embtrain
