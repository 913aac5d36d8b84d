// html_report.h — report.html: one self-contained page (inline SVG, no network).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace embtrain {

// `report`: report.json's content; `epochs`: metrics.jsonl's lines, one object per epoch;
// `looked_up`: tokens read from embeddings.pt (`embtrain report RUN --token T`), as
// {token: {found, index, change_norm, cosine, neighbors: {before, after}} or {found: false, reason}}.
std::string render_html_report(const nlohmann::json& report,
                               const std::vector<nlohmann::json>& epochs,
                               const nlohmann::json& looked_up = nlohmann::json::object());

}  // namespace embtrain
