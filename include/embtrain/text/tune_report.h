// tune_report.h — the page of a search (DIR/report.html of `embtrain tune`), torch-free.
//
// Three kinds of panel, SVG in one self-contained HTML file (no script, no network):
//   - each trial's best valid metric against the time it ended (the search's wall clock), its
//     status by colour (complete, pruned, stopped by the budget), and the best so far as a step
//     line;
//   - for each searched key, the trials' values of it (log axis for log distributions; one
//     column per value for a choice) against their metric;
//   - a table of the trials in order.
// Trials without a scored epoch (failed) are listed in the table only.
#pragma once

#include <string>
#include <vector>

#include "embtrain/text/tune.h"

namespace embtrain {

struct TuneSummary {
  std::vector<SearchKey> space;
  std::vector<Trial> trials;  // in trial order; `seconds` each, run one after another per wave
  TuneMetric metric;
  int64_t parallel = 1;  // trials per wave (the clock of a wave is its slowest trial)
  std::string title;     // e.g. the config's path
};

std::string render_tune_html(const TuneSummary& summary);

}  // namespace embtrain
