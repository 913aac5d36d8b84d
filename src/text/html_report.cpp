// html_report.cpp — render_html_report: report.json and metrics.jsonl as one HTML page.
//
// The page needs no network and no script: every plot is inline SVG drawn here.
//   <svg id="pca">      the embedding rows in 2D (PCA fitted on before and after rows
//                       together): one <line class="move"> per plotted token, from its
//                       before to its after position, coloured by the label it occurs with
//                       most; <text class="label"> on the tokens that moved most
//   <svg id="curves">   loss and accuracy per epoch: one <polyline class="curve"> per
//                       series (train, valid, test) and panel
//   <svg id="heatmap">  diff = after - before, tokens x dimensions: one <rect class="cell">
//                       per value, for the rows that moved most
// and the tables `embtrain inspect` prints (from inspect_report). Every token is
// HTML-escaped: tokens are arbitrary UTF-8.
#include "embtrain/text/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "embtrain/text/inspect.h"

namespace embtrain {
namespace {

using nlohmann::json;

constexpr size_t kMaxArrows = 2000;     // larger reports plot the rows that moved most
constexpr size_t kMaxLabels = 80;       // tokens labelled in the PCA plot
constexpr size_t kMaxHeatmapRows = 40;  // heatmap rows for a large vocabulary
constexpr int kPowerIterations = 1000;
constexpr double kLongestArrow = 60;    // pixels, when short arrows are lengthened

const char* const kSeriesColors[] = {"#1f6feb", "#e8590c", "#2b8a3e"};  // train, valid, test

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// A token as the page shows it (visible even when it is a space), escaped.
std::string token_html(const std::string& token) { return escape(display_token(token)); }

std::string num(double value, const char* format = "%.1f") {
  if (!std::isfinite(value)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string num(const json& value, const char* format) {
  return value.is_number() ? num(value.get<double>(), format) : "-";
}

double number_or_nan(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : std::nan("");
}

// ---- PCA -------------------------------------------------------------------

struct Pca {
  std::vector<double> mean;
  std::vector<double> axes[2];
  double variance[2] = {0, 0};
  double total_variance = 0;
};

// Top eigenvector of the symmetric matrix `c` [dim x dim] by power iteration
// from a fixed start vector; sign fixed so that its largest entry is positive.
std::vector<double> top_eigenvector(const std::vector<double>& c, size_t dim, double* eigenvalue) {
  std::vector<double> v(dim), next(dim);
  for (size_t i = 0; i < dim; ++i) v[i] = 1.5 + std::cos(0.7 * static_cast<double>(i));
  auto normalise = [](std::vector<double>& x) {
    double norm = 0;
    for (const double value : x) norm += value * value;
    norm = std::sqrt(norm);
    if (norm > 0) {
      for (double& value : x) value /= norm;
    }
    return norm;
  };
  normalise(v);
  for (int iteration = 0; iteration < kPowerIterations; ++iteration) {
    for (size_t i = 0; i < dim; ++i) {
      double sum = 0;
      for (size_t j = 0; j < dim; ++j) sum += c[i * dim + j] * v[j];
      next[i] = sum;
    }
    if (normalise(next) == 0) break;  // no variance left: keep the start vector
    double moved = 0;
    for (size_t i = 0; i < dim; ++i) moved += (next[i] - v[i]) * (next[i] - v[i]);
    v.swap(next);
    if (moved < 1e-24) break;
  }
  size_t largest = 0;
  for (size_t i = 1; i < dim; ++i) {
    if (std::fabs(v[i]) > std::fabs(v[largest])) largest = i;
  }
  if (dim > 0 && v[largest] < 0) {
    for (double& value : v) value = -value;
  }
  double lambda = 0;
  for (size_t i = 0; i < dim; ++i) {
    for (size_t j = 0; j < dim; ++j) lambda += v[i] * c[i * dim + j] * v[j];
  }
  *eigenvalue = lambda;
  return v;
}

// Centre, covariance, top two eigenvectors (the second after deflating the first).
Pca fit_pca(const std::vector<const std::vector<float>*>& points, size_t dim) {
  Pca pca;
  pca.mean.assign(dim, 0.0);
  for (const auto* p : points) {
    for (size_t d = 0; d < dim; ++d) pca.mean[d] += (*p)[d];
  }
  const double n = static_cast<double>(std::max<size_t>(points.size(), 1));
  for (double& m : pca.mean) m /= n;
  std::vector<double> c(dim * dim, 0.0), centred(dim);
  for (const auto* p : points) {
    for (size_t d = 0; d < dim; ++d) centred[d] = (*p)[d] - pca.mean[d];
    for (size_t i = 0; i < dim; ++i) {
      for (size_t j = i; j < dim; ++j) c[i * dim + j] += centred[i] * centred[j];
    }
  }
  for (size_t i = 0; i < dim; ++i) {
    for (size_t j = i; j < dim; ++j) {
      c[i * dim + j] /= n;
      c[j * dim + i] = c[i * dim + j];
    }
    pca.total_variance += c[i * dim + i];
  }
  for (int k = 0; k < 2; ++k) {
    pca.axes[k] = top_eigenvector(c, dim, &pca.variance[k]);
    for (size_t i = 0; i < dim; ++i) {
      for (size_t j = 0; j < dim; ++j) {
        c[i * dim + j] -= pca.variance[k] * pca.axes[k][i] * pca.axes[k][j];
      }
    }
  }
  if (dim < 2) {
    pca.axes[1].assign(dim, 0.0);
    pca.variance[1] = 0;
  }
  return pca;
}

std::pair<double, double> project(const Pca& pca, const std::vector<float>& p) {
  double x = 0, y = 0;
  for (size_t d = 0; d < pca.mean.size(); ++d) {
    x += (p[d] - pca.mean[d]) * pca.axes[0][d];
    y += (p[d] - pca.mean[d]) * pca.axes[1][d];
  }
  return {x, y};
}

// ---- the report's rows -----------------------------------------------------

struct Row {
  std::string token;
  std::vector<float> before, after, diff;
  double change = 0;
  std::string label = "neutral";  // positive | negative | neutral
};

std::vector<float> floats(const json& values) {
  std::vector<float> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(v.is_number() ? v.get<float>() : 0.0f);
  return out;
}

std::vector<Row> read_rows(const json& report, size_t* dim) {
  const json empty = json::array();
  const json& vocab = report.contains("vocab") ? report["vocab"] : empty;
  const json& before = report.contains("before") ? report["before"] : empty;
  const json& after = report.contains("after") ? report["after"] : empty;
  const json& tokens = report.contains("tokens") ? report["tokens"] : empty;
  const size_t count = std::min({vocab.size(), before.size(), after.size()});
  *dim = count > 0 ? before[0].size() : 0;
  std::vector<Row> rows;
  rows.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Row row;
    row.token = vocab[i].is_string() ? vocab[i].get<std::string>() : std::string();
    row.before = floats(before[i]);
    row.after = floats(after[i]);
    if (row.before.size() != *dim || row.after.size() != *dim) continue;
    row.diff.resize(*dim);
    double sum = 0;
    for (size_t d = 0; d < *dim; ++d) {
      row.diff[d] = row.after[d] - row.before[d];
      sum += static_cast<double>(row.diff[d]) * row.diff[d];
    }
    row.change = std::sqrt(sum);
    if (i < tokens.size() && tokens[i].is_object() && tokens[i].contains("positive_count")) {
      const int64_t n = tokens[i].value("count", int64_t{0});
      const int64_t positive = tokens[i].value("positive_count", int64_t{0});
      if (n > 0 && positive * 2 > n) row.label = "positive";
      if (n > 0 && positive * 2 < n) row.label = "negative";
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// Row indices by change, largest first (ties: lower index first).
std::vector<size_t> by_change(const std::vector<Row>& rows) {
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rows[a].change > rows[b].change; });
  return order;
}

// ---- plots -----------------------------------------------------------------

std::string pca_svg(const std::vector<Row>& rows, size_t dim, std::string* caption) {
  const double width = 960, height = 620, margin = 40;
  std::string svg = "<svg id=\"pca\" viewBox=\"0 0 960 620\" role=\"img\" "
                    "aria-label=\"embedding rows before and after training, PCA\">\n<defs>";
  for (const char* label : {"positive", "negative", "neutral"}) {
    svg += std::string("<marker id=\"head-") + label +
           "\" class=\"head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
           "markerHeight=\"7\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 "
           "L0,10 z\" class=\"" +
           label + "\"/></marker>";
  }
  svg += "</defs>\n<rect class=\"frame\" x=\"0.5\" y=\"0.5\" width=\"959\" height=\"619\"/>\n";
  if (rows.empty() || dim == 0) {
    *caption = "The report holds no embedding rows.";
    return svg + "</svg>\n";
  }
  std::vector<size_t> plotted = by_change(rows);
  if (plotted.size() > kMaxArrows) plotted.resize(kMaxArrows);
  std::vector<const std::vector<float>*> points;
  for (const size_t i : plotted) {
    points.push_back(&rows[i].before);
    points.push_back(&rows[i].after);
  }
  const Pca pca = fit_pca(points, dim);
  std::vector<std::pair<double, double>> from(plotted.size()), to(plotted.size());
  double min_x = INFINITY, max_x = -INFINITY, min_y = INFINITY, max_y = -INFINITY;
  for (size_t k = 0; k < plotted.size(); ++k) {
    from[k] = project(pca, rows[plotted[k]].before);
    to[k] = project(pca, rows[plotted[k]].after);
    for (const auto& [x, y] : {from[k], to[k]}) {
      min_x = std::min(min_x, x), max_x = std::max(max_x, x);
      min_y = std::min(min_y, y), max_y = std::max(max_y, y);
    }
  }
  double span_x = max_x > min_x ? max_x - min_x : 1.0;
  double span_y = max_y > min_y ? max_y - min_y : 1.0;
  auto sx = [&](double x) { return margin + (x - min_x) / span_x * (width - 2 * margin); };
  auto sy = [&](double y) { return height - margin - (y - min_y) / span_y * (height - 2 * margin); };

  // Short runs move rows by a fraction of their spread: arrows a few pixels long
  // show no direction. Then every arrow is lengthened by one round factor (said
  // in the caption) so that the longest is about kLongestArrow pixels.
  double longest = 0;
  for (size_t k = 0; k < plotted.size(); ++k) {
    longest = std::max(longest, std::hypot(sx(to[k].first) - sx(from[k].first),
                                           sy(to[k].second) - sy(from[k].second)));
  }
  double magnify = 1;
  if (longest > 0 && longest < kLongestArrow / 2) {
    for (const double step : {2.0, 5.0, 10.0}) {
      for (double factor = step; factor < 1e7; factor *= 10) {
        if (factor * longest <= kLongestArrow && factor > magnify) magnify = factor;
      }
    }
    for (size_t k = 0; k < plotted.size(); ++k) {
      to[k].first = from[k].first + magnify * (to[k].first - from[k].first);
      to[k].second = from[k].second + magnify * (to[k].second - from[k].second);
      min_x = std::min(min_x, to[k].first), max_x = std::max(max_x, to[k].first);
      min_y = std::min(min_y, to[k].second), max_y = std::max(max_y, to[k].second);
    }
    span_x = max_x > min_x ? max_x - min_x : 1.0;
    span_y = max_y > min_y ? max_y - min_y : 1.0;
  }

  const double share = pca.total_variance > 0 ? 100.0 / pca.total_variance : 0.0;
  svg += "<text class=\"axis\" x=\"480\" y=\"612\" text-anchor=\"middle\">PC1 (" +
         num(pca.variance[0] * share, "%.0f") + "% of variance)</text>\n";
  svg += "<text class=\"axis\" x=\"14\" y=\"310\" text-anchor=\"middle\" "
         "transform=\"rotate(-90 14 310)\">PC2 (" +
         num(pca.variance[1] * share, "%.0f") + "% of variance)</text>\n";
  for (size_t k = 0; k < plotted.size(); ++k) {
    const Row& row = rows[plotted[k]];
    const double x1 = sx(from[k].first), y1 = sy(from[k].second);
    const double x2 = sx(to[k].first), y2 = sy(to[k].second);
    const bool visible = std::hypot(x2 - x1, y2 - y1) >= 0.5;
    svg += "<circle class=\"start " + row.label + "\" cx=\"" + num(x1) + "\" cy=\"" + num(y1) +
           "\" r=\"2.5\"/>";
    svg += "<line class=\"move " + row.label + "\" x1=\"" + num(x1) + "\" y1=\"" + num(y1) +
           "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) + "\"" +
           (visible ? " marker-end=\"url(#head-" + row.label + ")\"" : std::string()) + "><title>" +
           token_html(row.token) + ": moved " + num(row.change, "%.4g") + "</title></line>\n";
  }
  const size_t labelled = std::min(kMaxLabels, plotted.size());
  for (size_t k = 0; k < labelled; ++k) {
    const double x = sx(to[k].first), y = sy(to[k].second);
    const bool left = x > width - 120;
    svg += "<text class=\"label " + rows[plotted[k]].label + "\" x=\"" +
           num(left ? x - 6 : x + 6) + "\" y=\"" + num(y - 4) + "\"" +
           (left ? " text-anchor=\"end\"" : "") + ">" + token_html(rows[plotted[k]].token) +
           "</text>\n";
  }
  svg += "<g class=\"legend\" transform=\"translate(740 24)\">"
         "<rect class=\"legend-box\" x=\"-10\" y=\"-16\" width=\"210\" height=\"72\"/>"
         "<line class=\"key positive\" x1=\"0\" y1=\"0\" x2=\"24\" y2=\"0\"/>"
         "<text x=\"32\" y=\"4\">mostly positive examples</text>"
         "<line class=\"key negative\" x1=\"0\" y1=\"20\" x2=\"24\" y2=\"20\"/>"
         "<text x=\"32\" y=\"24\">mostly negative examples</text>"
         "<line class=\"key neutral\" x1=\"0\" y1=\"40\" x2=\"24\" y2=\"40\"/>"
         "<text x=\"32\" y=\"44\">even, or no labels known</text></g>\n";
  *caption = std::to_string(plotted.size()) + " tokens plotted" +
             (plotted.size() < rows.size() ? " (the " + std::to_string(kMaxArrows) +
                                                 " that moved most)"
                                           : std::string()) +
             "; " + std::to_string(labelled) + " labelled." +
             (magnify > 1 ? " The moves are small next to the spread of the rows, so every arrow "
                            "is drawn " + num(magnify, "%.0f") + "&#215; longer than the move it shows; "
                            "the dots are the true starting points."
                          : " Arrows are to scale.");
  return svg + "</svg>\n";
}

struct Series {
  std::string set;  // train | valid | test
  size_t color = 0;
};

std::string curves_svg(const std::vector<json>& epochs) {
  std::string svg = "<svg id=\"curves\" viewBox=\"0 0 960 330\" role=\"img\" "
                    "aria-label=\"loss and accuracy per epoch\">\n";
  std::vector<Series> series;
  const char* const sets[] = {"train", "valid", "test"};
  for (size_t s = 0; s < 3; ++s) {
    const bool present = std::any_of(epochs.begin(), epochs.end(), [&](const json& e) {
      return e.is_object() && e.contains(sets[s]) && e[sets[s]].is_object();
    });
    if (present) series.push_back({sets[s], s});
  }
  double first_epoch = INFINITY, last_epoch = -INFINITY;
  for (size_t i = 0; i < epochs.size(); ++i) {
    const double e = epochs[i].is_object() && epochs[i].contains("epoch")
                         ? number_or_nan(epochs[i], "epoch")
                         : static_cast<double>(i + 1);
    if (std::isfinite(e)) first_epoch = std::min(first_epoch, e), last_epoch = std::max(last_epoch, e);
  }
  if (epochs.empty() || series.empty() || !std::isfinite(first_epoch)) {
    return svg + "<text class=\"empty\" x=\"480\" y=\"165\" text-anchor=\"middle\">no metrics "
                 "recorded</text>\n</svg>\n";
  }
  const char* const panels[] = {"loss", "accuracy"};
  for (int panel = 0; panel < 2; ++panel) {
    const char* metric = panels[panel];
    const double left = 60 + panel * 480, top = 34, width = 390, height = 250;
    double low = INFINITY, high = -INFINITY;
    for (const auto& e : epochs) {
      for (const auto& s : series) {
        if (!e.is_object() || !e.contains(s.set)) continue;
        const double v = number_or_nan(e[s.set], metric);
        if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
      }
    }
    if (panel == 1) low = 0, high = 1;  // accuracy: the whole range
    if (!std::isfinite(low)) low = 0, high = 1;
    if (high - low < 1e-12) low -= 0.5, high += 0.5;
    const double pad = panel == 0 ? (high - low) * 0.05 : 0;
    low = low >= 0 ? std::max(0.0, low - pad) : low - pad;  // a loss axis stops at 0
    high += pad;
    const double epoch_span = last_epoch > first_epoch ? last_epoch - first_epoch : 1.0;
    auto px = [&](double epoch) { return left + (epoch - first_epoch) / epoch_span * width; };
    auto py = [&](double v) { return top + height - (v - low) / (high - low) * height; };

    svg += "<text class=\"panel-title\" x=\"" + num(left) + "\" y=\"22\">" + metric + "</text>";
    svg += "<rect class=\"frame\" x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" +
           num(width) + "\" height=\"" + num(height) + "\"/>\n";
    for (int tick = 0; tick <= 4; ++tick) {
      const double v = low + (high - low) * tick / 4;
      svg += "<line class=\"grid\" x1=\"" + num(left) + "\" x2=\"" + num(left + width) + "\" y1=\"" +
             num(py(v)) + "\" y2=\"" + num(py(v)) + "\"/><text class=\"tick\" x=\"" +
             num(left - 6) + "\" y=\"" + num(py(v) + 4) + "\" text-anchor=\"end\">" +
             num(v, panel == 0 ? "%.4g" : "%.2f") + "</text>\n";
    }
    for (const double epoch : {first_epoch, last_epoch}) {
      svg += "<text class=\"tick\" x=\"" + num(px(epoch)) + "\" y=\"" + num(top + height + 16) +
             "\" text-anchor=\"middle\">" + num(epoch, "%.0f") + "</text>";
    }
    svg += "<text class=\"axis\" x=\"" + num(left + width / 2) + "\" y=\"" +
           num(top + height + 32) + "\" text-anchor=\"middle\">epoch</text>\n";
    for (const auto& s : series) {
      std::string points;
      double last_x = NAN, last_y = NAN;
      for (size_t i = 0; i < epochs.size(); ++i) {
        const json& e = epochs[i];
        if (!e.is_object() || !e.contains(s.set)) continue;
        const double v = number_or_nan(e[s.set], metric);
        const double epoch = e.contains("epoch") ? number_or_nan(e, "epoch") : double(i + 1);
        if (!std::isfinite(v) || !std::isfinite(epoch)) continue;
        last_x = px(epoch), last_y = py(v);
        points += (points.empty() ? "" : " ") + num(last_x) + "," + num(last_y);
      }
      svg += "<polyline class=\"curve " + s.set + "\" stroke=\"" + kSeriesColors[s.color] +
             "\" points=\"" + points + "\"><title>" + s.set + " " + metric + "</title></polyline>";
      if (std::isfinite(last_x)) {
        svg += "<circle class=\"end\" fill=\"" + std::string(kSeriesColors[s.color]) + "\" cx=\"" +
               num(last_x) + "\" cy=\"" + num(last_y) + "\" r=\"3\"/>";
      }
      svg += "\n";
    }
  }
  double x = 930 - 80.0 * static_cast<double>(series.size());
  for (const auto& s : series) {
    svg += "<line class=\"key\" stroke=\"" + std::string(kSeriesColors[s.color]) + "\" x1=\"" +
           num(x) + "\" x2=\"" + num(x + 24) + "\" y1=\"18\" y2=\"18\"/><text x=\"" +
           num(x + 30) + "\" y=\"22\">" + s.set + "</text>";
    x += 80;
  }
  return svg + "\n</svg>\n";
}

// Diverging colour: blue for negative, white at 0, red for positive.
std::string diverging(double t) {
  t = std::max(-1.0, std::min(1.0, t));
  const double low[3] = {33, 102, 172}, high[3] = {178, 24, 43};
  const double* end = t < 0 ? low : high;
  const double a = std::fabs(t);
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", int(255 + (end[0] - 255) * a + 0.5),
                int(255 + (end[1] - 255) * a + 0.5), int(255 + (end[2] - 255) * a + 0.5));
  return buffer;
}

std::string heatmap_svg(const std::vector<Row>& rows, size_t dim, std::string* caption) {
  std::vector<size_t> shown = by_change(rows);
  if (shown.size() > kMaxHeatmapRows) shown.resize(kMaxHeatmapRows);
  const double label_width = 130, cell_h = 16, top = 28;
  const double cell_w = dim > 0 ? std::max(2.0, std::min(28.0, 780.0 / static_cast<double>(dim))) : 28;
  const double width = label_width + cell_w * static_cast<double>(dim) + 20;
  const double height = top + cell_h * static_cast<double>(shown.size()) + 50;
  double scale = 0;
  for (const size_t i : shown) {
    for (const float v : rows[i].diff) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  }
  std::string svg = "<svg id=\"heatmap\" viewBox=\"0 0 " + num(std::max(width, 400.0)) + " " +
                    num(height) + "\" style=\"max-width:" + num(std::max(width, 400.0)) +
                    "px\" role=\"img\" aria-label=\"after minus before, per token and dimension\">\n";
  if (dim <= 16) {
    for (size_t d = 0; d < dim; ++d) {
      svg += "<text class=\"tick\" x=\"" + num(label_width + cell_w * (d + 0.5)) + "\" y=\"" +
             num(top - 8) + "\" text-anchor=\"middle\">" + std::to_string(d) + "</text>";
    }
  } else {
    svg += "<text class=\"tick\" x=\"" + num(label_width) + "\" y=\"" + num(top - 8) +
           "\">dimension 0 &#8594; " + std::to_string(dim - 1) + "</text>";
  }
  svg += "\n";
  for (size_t r = 0; r < shown.size(); ++r) {
    const Row& row = rows[shown[r]];
    const double y = top + cell_h * static_cast<double>(r);
    svg += "<text class=\"row-label\" x=\"" + num(label_width - 8) + "\" y=\"" + num(y + 12) +
           "\" text-anchor=\"end\">" + token_html(row.token) + "</text>";
    for (size_t d = 0; d < dim; ++d) {
      const double v = row.diff[d];
      svg += "<rect class=\"cell\" x=\"" + num(label_width + cell_w * d) + "\" y=\"" + num(y) +
             "\" width=\"" + num(cell_w, "%.2f") + "\" height=\"" + num(cell_h) + "\" fill=\"" +
             diverging(scale > 0 ? v / scale : 0) + "\"><title>" + token_html(row.token) + " [" +
             std::to_string(d) + "]: " + num(v, "%+.3g") + "</title></rect>";
    }
    svg += "\n";
  }
  // Colour key: -scale .. 0 .. +scale.
  const double key_y = top + cell_h * static_cast<double>(shown.size()) + 14;
  for (int k = 0; k <= 20; ++k) {
    svg += "<rect class=\"key\" x=\"" + num(label_width + 8.0 * k) + "\" y=\"" + num(key_y) +
           "\" width=\"8\" height=\"10\" fill=\"" + diverging((k - 10) / 10.0) + "\"/>";
  }
  svg += "<text class=\"tick\" x=\"" + num(label_width) + "\" y=\"" + num(key_y + 24) + "\">" +
         num(-scale, "%.3g") + "</text><text class=\"tick\" x=\"" + num(label_width + 84) +
         "\" y=\"" + num(key_y + 24) + "\" text-anchor=\"middle\">0</text><text class=\"tick\" x=\"" +
         num(label_width + 168) + "\" y=\"" + num(key_y + 24) + "\" text-anchor=\"end\">" +
         num(scale, "%+.3g") + "</text>\n";
  *caption = std::to_string(shown.size()) + " of " + std::to_string(rows.size()) +
             " rows (the ones that moved most, largest first) by " + std::to_string(dim) +
             " dimensions.";
  return svg + "</svg>\n";
}

// ---- tables ----------------------------------------------------------------

std::string token_table(const json& tokens) {
  if (tokens.empty()) return "<p class=\"none\">(none)</p>\n";
  std::string html =
      "<table class=\"tokens\"><tr><th>token</th><th>change</th><th>cosine</th><th>count</th>"
      "<th>in batch</th><th>with grad</th><th class=\"why\">why</th></tr>\n";
  for (const auto& t : tokens) {
    html += "<tr><td class=\"token\">" + token_html(t.value("token", std::string())) +
            "</td><td>" + num(t["change_norm"], "%.4f") + "</td><td>" + num(t["cosine"], "%.5f") +
            "</td><td>" + std::to_string(t.value("count", int64_t{0})) + "</td><td>" +
            std::to_string(t.value("batch_steps", int64_t{0})) + "</td><td>" +
            std::to_string(t.value("grad_steps", int64_t{0})) + "</td><td class=\"why\">" +
            escape(t.value("why", std::string())) + "</td></tr>\n";
  }
  return html + "</table>\n";
}

std::string tables_html(const json& inspected) {
  std::string html = "<h3>Moved most</h3>\n" + token_table(inspected["moved_most"]);
  html += "<h3>Moved least <small>(of the rows that moved)</small></h3>\n" +
          token_table(inspected["moved_least"]);
  html += "<h3>Never moved: " + std::to_string(inspected["unchanged"]["count"].get<int64_t>()) +
          " rows</h3>\n<table class=\"reasons\"><tr><th>reason</th><th>rows</th><th>examples</th></tr>\n";
  for (const char* key : {"never_in_batch", "zero_gradient", "updates_cancelled"}) {
    const json& group = inspected["unchanged"]["by_reason"][key];
    std::string examples;
    for (const auto& token : group["examples"]) {
      examples += (examples.empty() ? "" : ", ") + std::string("<span class=\"token\">") +
                  token_html(token.get<std::string>()) + "</span>";
    }
    if (group["count"].get<size_t>() > group["examples"].size()) examples += ", &#8230;";
    html += "<tr><td>" + escape(group["why"].get<std::string>()) + "</td><td>" +
            std::to_string(group["count"].get<int64_t>()) + "</td><td>" + examples + "</td></tr>\n";
  }
  html += "</table>\n";
  if (!inspected["pairs"].empty()) {
    html += "<h3>Tracked pairs (cosine similarity)</h3>\n<table class=\"pairs\"><tr><th>a</th>"
            "<th>b</th><th>before</th><th>after</th><th>change</th><th></th></tr>\n";
    for (const auto& p : inspected["pairs"]) {
      html += "<tr><td class=\"token\">" + token_html(p.value("a", std::string())) +
              "</td><td class=\"token\">" + token_html(p.value("b", std::string())) + "</td>";
      if (p.contains("missing")) {
        html += "<td colspan=\"4\">not in the vocabulary: " +
                token_html(p["missing"].get<std::string>()) + "</td></tr>\n";
      } else {
        html += "<td>" + num(p["cosine_before"], "%.5f") + "</td><td>" +
                num(p["cosine_after"], "%.5f") + "</td><td>" + num(p["change"], "%+.5f") +
                "</td><td>" + escape(p.value("direction", std::string())) + "</td></tr>\n";
      }
    }
    html += "</table>\n";
  }
  return html;
}

std::string summary_html(const json& report) {
  const json empty = json::object();
  const json& s = report.contains("summary") ? report["summary"] : empty;
  auto cell = [&](const char* name, const std::string& value) {
    return "<div class=\"stat\"><div class=\"value\">" + value + "</div><div class=\"name\">" +
           name + "</div></div>";
  };
  auto count = [&](const char* key) {
    return s.contains(key) && s[key].is_number() ? std::to_string(s[key].get<int64_t>()) : "-";
  };
  std::string html = "<div class=\"stats\">";
  html += cell("embedding rows", count("rows")) + cell("dimensions", count("dim")) +
          cell("rows changed", count("rows_changed")) + cell("rows unchanged", count("rows_unchanged")) +
          cell("never in a batch", count("rows_never_in_batch")) +
          cell("optimizer steps", count("optimizer_steps"));
  if (s.contains("largest_change") && s["largest_change"].is_object()) {
    html += cell(("largest change (" + num(s["largest_change"].value("change_norm", json(nullptr)),
                                           "%.4f") +
                  ")")
                     .c_str(),
                 "<span class=\"token\">" +
                     token_html(s["largest_change"].value("token", std::string())) + "</span>");
  }
  if (report.contains("metrics") && report["metrics"].is_object()) {
    for (const char* set : {"train", "valid", "test"}) {
      if (!report["metrics"].contains(set)) continue;
      const json& m = report["metrics"][set];
      html += cell((std::string(set) + " loss / accuracy").c_str(),
                   num(m.value("loss", json(nullptr)), "%.4f") + " / " +
                       num(m.value("accuracy", json(nullptr)), "%.3f"));
    }
  }
  return html + "</div>\n";
}

std::string run_line(const json& report) {
  std::string line;
  auto add = [&](const std::string& name, const std::string& value) {
    if (value.empty()) return;
    line += (line.empty() ? "" : " &middot; ") + name + " <code>" + escape(value) + "</code>";
  };
  if (report.contains("config") && report["config"].is_object()) {
    const json& c = report["config"];
    if (c.contains("data")) add("data", c["data"].value("train", std::string()));
    if (c.contains("model")) {
      add("pooling", c["model"].value("pooling", std::string()));
      add("final ReLU", c["model"].contains("final_relu") ? c["model"]["final_relu"].dump() : "");
    }
    if (c.contains("train")) {
      add("epochs", c["train"].contains("epochs") ? c["train"]["epochs"].dump() : "");
      add("lr", c["train"].contains("lr") ? c["train"]["lr"].dump() : "");
      add("batch", c["train"].contains("batch_size") ? c["train"]["batch_size"].dump() : "");
    }
  }
  add("optimizer", report.value("optimizer", std::string()));
  add("seed", report.contains("seed") ? report["seed"].dump() : "");
  add("device", report.value("device", std::string()));
  add("LibTorch", report.value("libtorch_version", std::string()));
  return line;
}

constexpr const char* kStyle = R"(
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330;
       background: #f6f7f9; margin: 0; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 60px; background: #fff;
       box-shadow: 0 0 0 1px #e3e6ea; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 6px; border-bottom: 1px solid #e3e6ea; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
p { margin: 6px 0 10px; color: #394150; }
.run { color: #5c6675; font-size: 13px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f0f2f5;
       padding: 1px 4px; border-radius: 3px; }
svg { width: 100%; height: auto; display: block; margin: 8px 0; }
svg text { font: 12px system-ui, sans-serif; fill: #394150; }
svg .frame { fill: #fcfcfd; stroke: #d5d9df; }
svg .grid { stroke: #eceef1; }
svg .tick { fill: #6b7380; font-size: 11px; }
svg .axis { fill: #5c6675; }
svg .panel-title { font-weight: 600; font-size: 13px; }
svg .legend-box { fill: #fff; stroke: #d5d9df; opacity: .92; }
svg .move, svg .key { stroke-width: 1.6; fill: none; }
svg .curve { fill: none; stroke-width: 2; }
svg .start { opacity: .55; }
svg .positive { stroke: #1f6feb; fill: #1f6feb; }
svg .negative { stroke: #d6336c; fill: #d6336c; }
svg .neutral { stroke: #868e96; fill: #868e96; }
svg line.move.neutral { stroke-opacity: .7; }
svg text.label { stroke: none; font-size: 11.5px; paint-order: stroke; }
svg text.label.positive { fill: #174ea6; } svg text.label.negative { fill: #a61e4d; }
svg text.label.neutral { fill: #495057; }
svg .row-label { font: 12px ui-monospace, Menlo, monospace; }
svg .cell { stroke: #dee2e6; stroke-width: .5; }
.stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; }
.stat { border: 1px solid #e3e6ea; border-radius: 6px; padding: 8px 12px; min-width: 120px; }
.stat .value { font-size: 19px; font-weight: 600; }
.stat .name { font-size: 12px; color: #6b7380; }
table { border-collapse: collapse; margin: 4px 0 12px; font-size: 13.5px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eceef1; text-align: right; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
th:first-child, td:first-child, .why, td.token, table.reasons td, table.reasons th,
table.pairs th:nth-child(-n+2) { text-align: left; }
td.why { color: #5c6675; font-size: 12.5px; }
.token { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.none { color: #868e96; }
)";

}  // namespace

std::string render_html_report(const json& report, const std::vector<json>& epochs) {
  size_t dim = 0;
  const std::vector<Row> rows = read_rows(report, &dim);
  InspectOptions options;
  options.top = 10;
  const json inspected = inspect_report(report, options);
  const bool complete = report.value("complete", true);

  std::string pca_caption, heatmap_caption;
  const std::string pca = pca_svg(rows, dim, &pca_caption);
  const std::string heatmap = heatmap_svg(rows, dim, &heatmap_caption);

  std::string html =
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>embtrain report</title>\n<style>" +
      std::string(kStyle) + "</style>\n</head>\n<body>\n<main>\n";
  html += "<h1>What the embedding layer learned</h1>\n<p class=\"run\">" + run_line(report) +
          "</p>\n";
  html += summary_html(report);
  if (!complete) {
    html += "<p>This run's vocabulary is larger than <code>report.max_rows</code>: report.json "
            "keeps only the " +
            std::to_string(rows.size()) +
            " rows that changed most (and the tracked pairs' rows), and the plots and tables "
            "below cover those.</p>\n";
  }

  html += "<h2>Embedding space, before &#8594; after</h2>\n<p>Each arrow is one token's embedding "
          "row, from where it started to where training left it, projected to 2D by PCA fitted "
          "on the before and after rows together; a row that did not move is a dot. Colour gives the label of the examples the token occurs in most; labels name "
          "the tokens that moved most. " +
          pca_caption + "</p>\n" + pca;

  html += "<h2>Loss and accuracy per epoch</h2>\n<p>Training loss and accuracy are running "
          "values over each epoch's steps; validation and test sets (when the config names them) "
          "are scored after each epoch. A prediction counts as positive when its probability is "
          "above 0.5.</p>\n" +
          curves_svg(epochs);

  html += "<h2>Change per dimension</h2>\n<p>after &#8722; before for each row and embedding "
          "dimension: red where the weight grew, blue where it shrank, white where it stayed. " +
          heatmap_caption + "</p>\n" + heatmap;

  html += "<h2>What moved, and why</h2>\n<p>A row moves only when its token is in a batch and the "
          "loss sends a non-zero gradient back to it (plain Adam then keeps moving it for a while "
          "on momentum). With the final ReLU, every example whose last logit is negative gives "
          "exactly zero gradient, so tokens seen only in such examples never move.</p>\n" +
          tables_html(inspected);
  html += "</main>\n</body>\n</html>\n";
  return html;
}

}  // namespace embtrain
