// html_curves.h — report.html's <svg id="curves">: loss and accuracy per epoch, one
// <polyline class="curve"> per series (train, valid, test) and panel (no script, no network).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace embtrain {

// `epochs`: metrics.jsonl's lines, one object per epoch.
std::string curves_svg(const std::vector<nlohmann::json>& epochs);

}  // namespace embtrain
