// html_plots.cpp — the SVG of report.html's PCA arrows and heatmap (the curves: html_curves.cpp).
//
// Coordinates are printed with one decimal ("%.1f"): the page is the same bytes for the same
// report.
#include "embtrain/text/html_plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "embtrain/text/html_text.h"
#include "embtrain/text/inspect.h"
#include "embtrain/text/pca.h"
#include "embtrain/text/report_view.h"

namespace embtrain {
namespace {

using nlohmann::json;

constexpr size_t kMaxArrows = 2000;     // larger reports plot the rows that moved most
constexpr size_t kMaxLabels = 80;       // tokens labelled in the PCA plot
constexpr size_t kMaxHeatmapRows = 40;  // heatmap rows for a large vocabulary
constexpr double kLongestArrow = 60;    // pixels, when short arrows are lengthened
constexpr double kPcaWidth = 960, kPcaHeight = 620, kPcaMargin = 40;
// The legend's column on the right: rows are plotted left of it, so it never covers an arrow.
constexpr double kLegendWidth = 230, kPlotRight = kPcaWidth - kLegendWidth - 10;
constexpr double kCharWidth = 7;  // px per character at the page's 11.5-12 px fonts

std::string num(double value, const char* format = "%.1f") { return html_number(value, format); }

// Row indices by change, largest first (ties: lower index first).
std::vector<size_t> by_change(const std::vector<PlotRow>& rows) {
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rows[a].change > rows[b].change; });
  return order;
}

// ---- PCA -------------------------------------------------------------------

using Point = std::pair<double, double>;

// The plotted rows' before (`from`) and after (`to`) positions in PCA coordinates, and the
// box that maps them onto the plot.
struct PcaLayout {
  Pca pca;
  std::vector<Point> from, to;
  double min_x = INFINITY, max_x = -INFINITY, min_y = INFINITY, max_y = -INFINITY;
  double span_x = 1, span_y = 1;
  double magnify = 1;  // how much longer the arrows are drawn than the moves they show

  void include(const Point& p) {
    min_x = std::min(min_x, p.first), max_x = std::max(max_x, p.first);
    min_y = std::min(min_y, p.second), max_y = std::max(max_y, p.second);
  }
  // One scale for both axes, so that a component with a small share of the variance is drawn
  // short (a PC2 with 0% is a flat line, not stretched to the plot's height); the data is
  // centred in the plot area left of the legend.
  double scale = 1, left = kPcaMargin, bottom = kPcaHeight - kPcaMargin;
  void set_spans() {
    span_x = max_x > min_x ? max_x - min_x : 0.0;
    span_y = max_y > min_y ? max_y - min_y : 0.0;
    const double width = kPlotRight - kPcaMargin, height = kPcaHeight - 2 * kPcaMargin;
    scale = std::min(span_x > 0 ? width / span_x : INFINITY, span_y > 0 ? height / span_y : INFINITY);
    if (!std::isfinite(scale)) scale = 1;
    left = kPcaMargin + (width - span_x * scale) / 2;
    bottom = kPcaHeight - kPcaMargin - (height - span_y * scale) / 2;
  }
  double sx(double x) const { return left + (x - min_x) * scale; }
  double sy(double y) const { return bottom - (y - min_y) * scale; }
};

PcaLayout project_rows(const std::vector<PlotRow>& rows, const std::vector<size_t>& plotted,
                       size_t dim) {
  std::vector<const float*> points;
  for (const size_t i : plotted) {
    points.push_back(rows[i].before);
    points.push_back(rows[i].after);
  }
  PcaLayout layout;
  layout.pca = fit_pca(points, dim);
  layout.from.resize(plotted.size());
  layout.to.resize(plotted.size());
  for (size_t k = 0; k < plotted.size(); ++k) {
    layout.from[k] = layout.pca.project(rows[plotted[k]].before);
    layout.to[k] = layout.pca.project(rows[plotted[k]].after);
    layout.include(layout.from[k]);
    layout.include(layout.to[k]);
  }
  layout.set_spans();
  return layout;
}

// Short runs move rows by a fraction of their spread: arrows a few pixels long show no
// direction. Then every arrow is lengthened by one round factor (said in the caption) so that
// the longest is about kLongestArrow pixels.
void lengthen_short_arrows(PcaLayout* layout) {
  double longest = 0;
  for (size_t k = 0; k < layout->from.size(); ++k) {
    longest = std::max(
        longest, std::hypot(layout->sx(layout->to[k].first) - layout->sx(layout->from[k].first),
                            layout->sy(layout->to[k].second) - layout->sy(layout->from[k].second)));
  }
  if (!(longest > 0 && longest < kLongestArrow / 2)) return;
  for (const double step : {2.0, 5.0, 10.0}) {
    for (double factor = step; factor < 1e7; factor *= 10) {
      if (factor * longest <= kLongestArrow && factor > layout->magnify) layout->magnify = factor;
    }
  }
  for (size_t k = 0; k < layout->from.size(); ++k) {
    Point& to = layout->to[k];
    const Point& from = layout->from[k];
    to.first = from.first + layout->magnify * (to.first - from.first);
    to.second = from.second + layout->magnify * (to.second - from.second);
    layout->include(to);
  }
  layout->set_spans();
}

// The CSS classes the rows of a run can have (html_plots.h's PlotRow::label).
std::vector<std::string> label_classes(size_t labels) {
  if (labels == 0) return {"positive", "negative", "neutral"};
  std::vector<std::string> classes;
  for (size_t k = 0; k < labels && k < kColouredLabels; ++k) classes.push_back("label-" + std::to_string(k));
  if (labels > kColouredLabels) classes.push_back("label-other");
  classes.push_back("neutral");
  return classes;
}

std::string pca_header(size_t labels) {
  std::string svg =
      "<svg id=\"pca\" viewBox=\"0 0 960 620\" role=\"img\" "
      "aria-label=\"embedding rows before and after training, PCA\">\n<defs>";
  for (const std::string& label : label_classes(labels)) {
    svg += std::string("<marker id=\"head-") + label +
           "\" class=\"head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
           "markerHeight=\"7\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 "
           "L0,10 z\" class=\"" +
           label + "\"/></marker>";
  }
  return svg +
         "</defs>\n<rect class=\"frame\" x=\"0.5\" y=\"0.5\" width=\"959\" height=\"619\"/>\n";
}

std::string pca_axes(const Pca& pca) {
  const double share = pca.total_variance > 0 ? 100.0 / pca.total_variance : 0.0;
  return "<text class=\"axis\" x=\"480\" y=\"612\" text-anchor=\"middle\">PC1 (" +
         num(pca.variance[0] * share, "%.0f") + "% of variance)</text>\n" +
         "<text class=\"axis\" x=\"14\" y=\"310\" text-anchor=\"middle\" "
         "transform=\"rotate(-90 14 310)\">PC2 (" +
         num(pca.variance[1] * share, "%.0f") + "% of variance)</text>\n";
}

// One dot (where the row started) and one arrow per plotted row; a move under half a pixel
// gets no arrowhead.
std::string pca_arrows(const std::vector<PlotRow>& rows, const std::vector<size_t>& plotted,
                       const PcaLayout& layout) {
  std::string svg;
  for (size_t k = 0; k < plotted.size(); ++k) {
    const PlotRow& row = rows[plotted[k]];
    const double x1 = layout.sx(layout.from[k].first), y1 = layout.sy(layout.from[k].second);
    const double x2 = layout.sx(layout.to[k].first), y2 = layout.sy(layout.to[k].second);
    const bool visible = std::hypot(x2 - x1, y2 - y1) >= 0.5;
    svg += "<circle class=\"start " + row.label + "\" cx=\"" + num(x1) + "\" cy=\"" + num(y1) +
           "\" r=\"2.5\"/>";
    svg += "<line class=\"move " + row.label + "\" x1=\"" + num(x1) + "\" y1=\"" + num(y1) +
           "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) + "\"" +
           (visible ? " marker-end=\"url(#head-" + row.label + ")\"" : std::string()) + "><title>" +
           token_html(row.token) + ": moved " + num(row.change, "%.4g") + "</title></line>\n";
  }
  return svg;
}

// Labels at the arrow ends of the plotted rows that moved most, up to `most` of them. A label
// that would overlap one already placed, or leave the plot, is dropped (the tables below list
// every row): *placed counts the labels drawn.
std::string pca_labels(const std::vector<PlotRow>& rows, const std::vector<size_t>& plotted,
                       const PcaLayout& layout, size_t most, size_t* placed) {
  struct Box {
    double left, top, right, bottom;
  };
  std::vector<Box> boxes;
  std::string svg;
  for (size_t k = 0; k < plotted.size() && boxes.size() < most; ++k) {
    const double x = layout.sx(layout.to[k].first), y = layout.sy(layout.to[k].second);
    const std::string& token = rows[plotted[k]].token;
    // About 7 px per character at the label's 11.5 px font; 13 px tall, baseline at y - 4.
    const double width = 7.0 * static_cast<double>(std::min<size_t>(token.size(), 40)) + 2;
    const bool left = x > kPcaWidth - 120;
    const Box box{left ? x - 6 - width : x + 6, y - 16, left ? x - 6 : x + 6 + width, y - 2};
    const bool inside = box.left >= 2 && box.right <= kPcaWidth - 2 && box.top >= 2 && box.bottom <= kPcaHeight - 2;
    const bool overlaps = std::any_of(boxes.begin(), boxes.end(), [&](const Box& b) {
      return box.left < b.right && b.left < box.right && box.top < b.bottom && b.top < box.bottom;
    });
    if (!inside || overlaps) continue;
    boxes.push_back(box);
    svg += "<text class=\"label " + rows[plotted[k]].label + "\" x=\"" + num(left ? x - 6 : x + 6) +
           "\" y=\"" + num(y - 4) + "\"" + (left ? " text-anchor=\"end\"" : "") + ">" +
           token_html(token) + "</text>\n";
  }
  *placed = boxes.size();
  return svg;
}

// `text` cut to `chars` characters (code points) with an ellipsis.
std::string shortened(const std::string& text, size_t chars) {
  size_t count = 0, at = 0;
  for (; at < text.size(); ++at) {
    if ((static_cast<unsigned char>(text[at]) & 0xC0) != 0x80 && count++ == chars) break;
  }
  return at < text.size() ? text.substr(0, at) + "\u2026" : text;
}

// The legend: one line per (class, text) key, in a box as wide as its longest text allows in
// the legend column (longer texts are shortened; the full text is the line's tooltip).
std::string legend(const std::vector<std::pair<std::string, std::string>>& keys) {
  constexpr double kKeyWidth = 32, kPadding = 10;
  const auto fits = static_cast<size_t>((kLegendWidth - kKeyWidth - 2 * kPadding) / kCharWidth);
  size_t longest = 0;
  for (const auto& key : keys) longest = std::max(longest, std::min(fits, key.second.size()));
  const double width = kKeyWidth + kCharWidth * static_cast<double>(longest) + 2 * kPadding;
  std::string svg = "<g class=\"legend\" transform=\"translate(" + num(kPcaWidth - kLegendWidth) +
                    " 24)\"><rect class=\"legend-box\" x=\"-10\" y=\"-16\" width=\"" + num(width) +
                    "\" height=\"" + std::to_string(20 * keys.size() + 12) + "\"/>";
  for (size_t k = 0; k < keys.size(); ++k) {
    const std::string y = std::to_string(20 * k);
    svg += "<g><title>" + html_escape(keys[k].second) + "</title><line class=\"key " + keys[k].first +
           "\" x1=\"0\" y1=\"" + y + "\" x2=\"24\" y2=\"" + y + "\"/><text x=\"32\" y=\"" +
           std::to_string(20 * k + 4) + "\">" + html_escape(shortened(keys[k].second, fits)) + "</text></g>";
  }
  return svg + "</g>\n";
}

// A binary run's legend: label 1, label 0 (named by data.label_names when given), even.
std::string binary_legend(const std::vector<std::string>& names) {
  const std::string one = names.size() == 2 ? names[1] + " (1)" : "positive";
  const std::string zero = names.size() == 2 ? names[0] + " (0)" : "negative";
  return legend({{"positive", "mostly " + one + " examples"},
                 {"negative", "mostly " + zero + " examples"},
                 {"neutral", "even, or no labels known"}});
}

// A multi-label run's legend: a line per coloured label, one for the rest, one for rows never
// seen in training. Label names are shown as they are (no quotes).
std::string label_legend(const std::vector<std::string>& labels) {
  std::vector<std::pair<std::string, std::string>> keys;  // (class, text)
  for (size_t k = 0; k < labels.size() && k < kColouredLabels; ++k) {
    keys.emplace_back("label-" + std::to_string(k), "mostly " + labels[k]);
  }
  if (labels.size() > kColouredLabels) {
    keys.emplace_back("label-other", "one of " + std::to_string(labels.size() - kColouredLabels) + " other labels");
  }
  keys.emplace_back("neutral", "not seen in training");
  return legend(keys);
}

std::string pca_caption(size_t plotted, size_t rows, size_t labelled, double magnify) {
  return std::to_string(plotted) + " tokens plotted" +
         (plotted < rows ? " (the " + std::to_string(kMaxArrows) + " that moved most)"
                         : std::string()) +
         "; " + std::to_string(labelled) + " labelled (the rows that moved most, where a label "
         "fits without covering another)." +
         (magnify > 1 ? " The moves are small next to the spread of the rows, so every arrow "
                        "is drawn " +
                            num(magnify, "%.0f") +
                            "&#215; longer than the move it shows; "
                            "the dots are the true starting points."
                      : " Arrows are to scale.");
}

// ---- heatmap ---------------------------------------------------------------

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

constexpr double kLabelWidth = 130, kCellHeight = 16, kHeatmapTop = 28;

// Column numbers over the cells, or one "dimension 0 -> D-1" for more than 16 columns.
std::string heatmap_ticks(size_t dim, double cell_w) {
  std::string svg;
  if (dim <= 16) {
    for (size_t d = 0; d < dim; ++d) {
      svg += "<text class=\"tick\" x=\"" + num(kLabelWidth + cell_w * (d + 0.5)) + "\" y=\"" +
             num(kHeatmapTop - 8) + "\" text-anchor=\"middle\">" + std::to_string(d) + "</text>";
    }
  } else {
    svg += "<text class=\"tick\" x=\"" + num(kLabelWidth) + "\" y=\"" + num(kHeatmapTop - 8) +
           "\">dimension 0 &#8594; " + std::to_string(dim - 1) + "</text>";
  }
  return svg + "\n";
}

// One row label and D cells, coloured by value / scale.
std::string heatmap_row(const PlotRow& row, size_t r, size_t dim, double cell_w, double scale) {
  const double y = kHeatmapTop + kCellHeight * static_cast<double>(r);
  // A long token is shortened to fit left of the cells (the cells' tooltips name it whole).
  const auto fits = static_cast<size_t>((kLabelWidth - 12) / kCharWidth);
  std::string svg = "<text class=\"row-label\" x=\"" + num(kLabelWidth - 8) + "\" y=\"" +
                    num(y + 12) + "\" text-anchor=\"end\">" + html_escape(shortened(display_token(row.token), fits)) +
                    "</text>";
  for (size_t d = 0; d < dim; ++d) {
    const double v = row.diff[d];
    svg += "<rect class=\"cell\" x=\"" + num(kLabelWidth + cell_w * d) + "\" y=\"" + num(y) +
           "\" width=\"" + num(cell_w, "%.2f") + "\" height=\"" + num(kCellHeight) + "\" fill=\"" +
           diverging(scale > 0 ? v / scale : 0) + "\"><title>" + token_html(row.token) + " [" +
           std::to_string(d) + "]: " + num(v, "%+.3g") + "</title></rect>";
  }
  return svg + "\n";
}

// Colour key under `rows` rows: -scale .. 0 .. +scale.
std::string heatmap_key(size_t rows, double scale) {
  const double key_y = kHeatmapTop + kCellHeight * static_cast<double>(rows) + 14;
  std::string svg;
  for (int k = 0; k <= 20; ++k) {
    svg += "<rect class=\"key\" x=\"" + num(kLabelWidth + 8.0 * k) + "\" y=\"" + num(key_y) +
           "\" width=\"8\" height=\"10\" fill=\"" + diverging((k - 10) / 10.0) + "\"/>";
  }
  return svg + "<text class=\"tick\" x=\"" + num(kLabelWidth) + "\" y=\"" + num(key_y + 24) +
         "\">" + num(-scale, "%.3g") + "</text><text class=\"tick\" x=\"" + num(kLabelWidth + 84) +
         "\" y=\"" + num(key_y + 24) +
         "\" text-anchor=\"middle\">0</text><text class=\"tick\" x=\"" + num(kLabelWidth + 168) +
         "\" y=\"" + num(key_y + 24) + "\" text-anchor=\"end\">" + num(scale, "%+.3g") +
         "</text>\n";
}

}  // namespace

std::vector<PlotRow> plot_rows(const ReportView& report) {
  const size_t dim = static_cast<size_t>(report.dim);
  std::vector<PlotRow> rows(report.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    PlotRow& row = rows[i];
    row.token = report.vocab[i];
    row.before = report.before.data() + i * dim;
    row.after = report.after.data() + i * dim;
    row.diff = report.diff.data() + i * dim;
    double sum = 0;
    for (size_t d = 0; d < dim; ++d) sum += static_cast<double>(row.diff[d]) * row.diff[d];
    row.change = std::sqrt(sum);
    if (i < report.tokens.size() && !report.labels.empty() && report.tokens[i].dominant_label) {
      const auto found = std::find(report.labels.begin(), report.labels.end(), *report.tokens[i].dominant_label);
      const auto k = static_cast<size_t>(found - report.labels.begin());
      if (found != report.labels.end()) {
        row.label = k < kColouredLabels ? "label-" + std::to_string(k) : std::string("label-other");
      }
    } else if (i < report.tokens.size() && report.tokens[i].positive_count) {
      const int64_t n = report.tokens[i].count;
      const int64_t positive = *report.tokens[i].positive_count;
      if (n > 0 && positive * 2 > n) row.label = "positive";
      if (n > 0 && positive * 2 < n) row.label = "negative";
    }
  }
  return rows;
}

std::string pca_svg(const std::vector<PlotRow>& rows, size_t dim, std::string* caption,
                    const std::vector<std::string>& labels, const std::vector<std::string>& binary_names) {
  std::string svg = pca_header(labels.size());
  if (rows.empty() || dim == 0) {
    *caption = "The report holds no embedding rows.";
    return svg + "</svg>\n";
  }
  std::vector<size_t> plotted = by_change(rows);
  if (plotted.size() > kMaxArrows) plotted.resize(kMaxArrows);
  PcaLayout layout = project_rows(rows, plotted, dim);
  lengthen_short_arrows(&layout);
  size_t labelled = 0;
  const std::string label_svg = pca_labels(rows, plotted, layout, kMaxLabels, &labelled);
  svg += pca_axes(layout.pca) + pca_arrows(rows, plotted, layout) + label_svg +
         (labels.empty() ? binary_legend(binary_names) : label_legend(labels));
  *caption = pca_caption(plotted.size(), rows.size(), labelled, layout.magnify);
  return svg + "</svg>\n";
}

std::string heatmap_svg(const std::vector<PlotRow>& rows, size_t dim, std::string* caption) {
  std::vector<size_t> shown = by_change(rows);
  if (shown.size() > kMaxHeatmapRows) shown.resize(kMaxHeatmapRows);
  const double cell_w =
      dim > 0 ? std::max(2.0, std::min(28.0, 780.0 / static_cast<double>(dim))) : 28;
  const double width = kLabelWidth + cell_w * static_cast<double>(dim) + 20;
  const double height = kHeatmapTop + kCellHeight * static_cast<double>(shown.size()) + 50;
  double scale = 0;
  for (const size_t i : shown) {
    for (size_t d = 0; d < dim; ++d)
      scale = std::max(scale, static_cast<double>(std::fabs(rows[i].diff[d])));
  }
  std::string svg =
      "<svg id=\"heatmap\" viewBox=\"0 0 " + num(std::max(width, 400.0)) + " " + num(height) +
      "\" style=\"max-width:" + num(std::max(width, 400.0)) +
      "px\" role=\"img\" aria-label=\"after minus before, per token and dimension\">\n";
  svg += heatmap_ticks(dim, cell_w);
  for (size_t r = 0; r < shown.size(); ++r)
    svg += heatmap_row(rows[shown[r]], r, dim, cell_w, scale);
  svg += heatmap_key(shown.size(), scale);
  *caption = std::to_string(shown.size()) + " of " + std::to_string(rows.size()) +
             " rows (the ones that moved most, largest first) by " + std::to_string(dim) +
             " dimensions.";
  return svg + "</svg>\n";
}

}  // namespace embtrain
