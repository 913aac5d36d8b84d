// html_tables.h — report.html's text parts: the run line, the summary tiles and the tables
// `embtrain inspect` prints.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace embtrain {

struct ReportView;

// "data <code>…</code> · pooling … · seed …": the settings the run was trained with.
std::string run_line_html(const ReportView& report);
// Tiles: rows, dimensions, changed/unchanged, steps, largest change, final metrics.
std::string summary_html(const ReportView& report);
// Moved most / least, never moved by reason, tracked pairs; `inspected`: inspect_report's result.
std::string tables_html(const nlohmann::json& inspected);
// The tokens `embtrain report RUN --token T` read from embeddings.pt: change, cosine, neighbours
// ("" when there are none).
std::string looked_up_html(const nlohmann::json& looked_up);

}  // namespace embtrain
