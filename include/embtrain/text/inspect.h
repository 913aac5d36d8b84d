// inspect.h — what changed in a run and why, computed from report.json (no torch).
//
// Shared by `embtrain inspect` (text or --json) and report.html's tables.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace embtrain {

struct ReportView;

struct InspectOptions {
  int64_t top = 10;                 // tokens listed as moved most / least
  std::vector<std::string> tokens;  // tokens to detail (neighbours before/after, steps, why)
};

// {"moved_most": [...], "moved_least": [...], "unchanged": {"count", "by_reason": {...}, ...},
//  "pairs": [...], "tokens": {...}, "summary": {...}} — see README "Inspecting a run".
// moved_most: changed rows by change_norm, largest first; moved_least: changed rows,
// smallest first (rows that never moved are in "unchanged", grouped by reason:
// never_in_batch, zero_gradient, updates_cancelled). Throws Error when `report`
// has no "tokens" list, or a field of the wrong type, range or length (view_report).
nlohmann::json inspect_report(const nlohmann::json& report, const InspectOptions& options);
// inspect_report for a report already decoded by view_report (report_view.h).
nlohmann::json inspect_view(const ReportView& report, const InspectOptions& options);

// Reads RUN_DIR/report.json, or a report.json path. Throws Error naming the path.
nlohmann::json read_report(const std::string& run_dir_or_report);

// A token as tables print it: as is, or JSON-quoted ("\" \"") when it is empty or
// holds whitespace or control characters, which would otherwise be invisible.
std::string display_token(const std::string& token);

}  // namespace embtrain
