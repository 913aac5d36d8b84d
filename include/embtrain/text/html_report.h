// html_report.h — report.html: one self-contained page (inline SVG, no network).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace embtrain {

// `report`: report.json's content; `epochs`: metrics.jsonl's lines, one object per epoch.
std::string render_html_report(const nlohmann::json& report,
                               const std::vector<nlohmann::json>& epochs);

}  // namespace embtrain
