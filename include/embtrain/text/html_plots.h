// html_plots.h — report.html's three inline SVG plots (no script, no network).
//
//   <svg id="pca">      the embedding rows in 2D (PCA fitted on before and after rows
//                       together): one <line class="move"> per plotted token, from its
//                       before to its after position, coloured by the label it occurs with
//                       most; <text class="label"> on the tokens that moved most
//   <svg id="curves">   loss and accuracy per epoch: one <polyline class="curve"> per
//                       series (train, valid, test) and panel
//   <svg id="heatmap">  report.json's diff (after - before), tokens x dimensions: one
//                       <rect class="cell"> per value, for the rows that moved most
#pragma once

#include "embtrain/text/html_curves.h"  // curves_svg

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace embtrain {

struct ReportView;

// One embedding row as the plots draw it; the pointers are into the ReportView, [D] each.
struct PlotRow {
  std::string token;
  const float* before = nullptr;
  const float* after = nullptr;
  const float* diff = nullptr;
  double change = 0;              // |diff|
  // The CSS class of the label it occurs with most: positive | negative | neutral (binary runs),
  // label-0 .. label-8 | label-other | neutral (multi-label runs: the first nine labels in
  // output order get their own colour).
  std::string label = "neutral";
};

// One PlotRow per row of `report` (which must outlive them).
std::vector<PlotRow> plot_rows(const ReportView& report);

// Each sets *caption to the sentence that goes under its plot.
// `labels`: a multi-label run's label set (its legend); empty for a binary run, whose legend
// names 0 and 1 by `binary_names` (data.label_names) when it has two.
std::string pca_svg(const std::vector<PlotRow>& rows, size_t dim, std::string* caption,
                    const std::vector<std::string>& labels = {},
                    const std::vector<std::string>& binary_names = {});

// Labels with a colour of their own in the plots (the rest share "other").
inline constexpr size_t kColouredLabels = 9;
std::string heatmap_svg(const std::vector<PlotRow>& rows, size_t dim, std::string* caption);

}  // namespace embtrain
