// html_report.cpp — render_html_report: report.json and metrics.jsonl as one HTML page.
//
// Owns the page's frame: the stylesheet, the headings and the prose between the parts. The
// report is decoded once (view_report); the plots come from html_plots, the run line, summary
// and tables from html_tables (the tables from inspect_report, as `embtrain inspect` prints
// them). The page needs no network and no script; every token is HTML-escaped.
#include "embtrain/text/html_report.h"

#include "embtrain/text/html_plots.h"
#include "embtrain/text/html_tables.h"
#include "embtrain/text/inspect.h"
#include "embtrain/text/report_view.h"

namespace embtrain {
namespace {

using nlohmann::json;

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
.run .state.warn { color: #b3261e; font-weight: 600; }
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
svg .label-0 { stroke: #1f77b4; fill: #1f77b4; } svg .label-1 { stroke: #d62728; fill: #d62728; }
svg .label-2 { stroke: #2ca02c; fill: #2ca02c; } svg .label-3 { stroke: #9467bd; fill: #9467bd; }
svg .label-4 { stroke: #ff7f0e; fill: #ff7f0e; } svg .label-5 { stroke: #8c564b; fill: #8c564b; }
svg .label-6 { stroke: #e377c2; fill: #e377c2; } svg .label-7 { stroke: #17becf; fill: #17becf; }
svg .label-8 { stroke: #bcbd22; fill: #bcbd22; } svg .label-other { stroke: #343a40; fill: #343a40; }
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

// How rows move under this run's optimizer and model, for the "what moved" section.
std::string why_prose(const ReportView& report) {
  std::string text = "A row moves only when its token is in a batch and the loss sends a gradient back to it. ";
  text += report.run.optimizer == "sparse_adam"
              ? "SparseAdam updates only the rows of the current batch, so a row stops moving in the "
                "steps that do not hold its token. "
              : "Adam then keeps moving it for a while on momentum, in later steps too. ";
  if (report.run.final_relu.value_or(true)) {
    text += "With the final ReLU, every example whose last logit is negative gives exactly zero "
            "gradient, so tokens seen only in such examples never move.";
  }
  return text;
}

}  // namespace

std::string render_html_report(const json& report_json, const std::vector<json>& epochs, const json& looked_up) {
  const ReportView report = view_report(report_json);
  const size_t dim = static_cast<size_t>(report.dim);
  const std::vector<PlotRow> rows = plot_rows(report);
  InspectOptions options;
  options.top = 10;
  const json inspected = inspect_view(report, options);

  std::string pca_caption, heatmap_caption;
  const std::string pca = pca_svg(rows, dim, &pca_caption, report.labels, report.run.label_names);
  const std::string heatmap = heatmap_svg(rows, dim, &heatmap_caption);

  std::string html =
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>embtrain report</title>\n<style>" +
      std::string(kStyle) + "</style>\n</head>\n<body>\n<main>\n";
  html += "<h1>What the embedding layer learned</h1>\n<p class=\"run\">" + run_line_html(report) +
          "</p>\n";
  html += summary_html(report);
  if (!report.complete.value_or(true)) {
    html +=
        "<p>This run's vocabulary is larger than <code>report.max_rows</code>: report.json "
        "keeps only the " +
        std::to_string(rows.size()) +
        " rows that changed most (and the tracked pairs' rows), and the plots and tables "
        "below cover those. <code>embtrain inspect RUN --token T</code> and <code>embtrain report "
        "RUN --token T</code> (which adds a table to this page) read any token's row from "
        "model.pt and embeddings.pt.</p>\n";
  }

  html +=
      "<h2>Embedding space, before &#8594; after</h2>\n<p>Each arrow is one token's embedding "
      "row, from where it started to where training left it, projected to 2D by PCA fitted "
      "on the before and after rows together; a row that did not move is a dot. Colour gives the "
      "label of the examples the token occurs in most; labels name "
      "the tokens that moved most. " +
      pca_caption + "</p>\n" + pca;

  html +=
      "<h2>Loss and accuracy per epoch</h2>\n<p>Training loss and accuracy are running "
      "values over each epoch's steps; validation and test sets (when the config names them) "
      "are scored after each epoch. " +
      std::string(report.labels.empty()
                      ? "A prediction counts as positive when its probability is above 0.5."
                      : "With many labels, accuracy is P@1: the share of examples whose most "
                        "probable label is one of theirs.") +
      "</p>\n" + curves_svg(epochs);

  html +=
      "<h2>Change per dimension</h2>\n<p>after &#8722; before for each row and embedding "
      "dimension: red where the weight grew, blue where it shrank, white where it stayed. " +
      heatmap_caption + "</p>\n" + heatmap;

  html += "<h2>What moved, and why</h2>\n<p>" + why_prose(report) + "</p>\n" + tables_html(inspected) + looked_up_html(looked_up);
  html += "</main>\n</body>\n</html>\n";
  return html;
}

}  // namespace embtrain
