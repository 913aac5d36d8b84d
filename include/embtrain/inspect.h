// inspect.h — what changed in a run and why, computed from report.json (no torch).
//
// Shared by `embtrain inspect` (text or --json) and report.html's tables.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace embtrain {

struct InspectOptions {
  int64_t top = 10;                 // tokens listed as moved most / least
  std::vector<std::string> tokens;  // tokens to detail (neighbours before/after, steps, why)
};

// {"moved_most": [...], "moved_least": [...], "unchanged": {"count", "by_reason": {...}, ...},
//  "pairs": [...], "tokens": {...}, "summary": {...}} — see README "Inspecting a run".
nlohmann::json inspect_report(const nlohmann::json& report, const InspectOptions& options);

// Reads RUN_DIR/report.json, or a report.json path. Throws Error naming the path.
nlohmann::json read_report(const std::string& run_dir_or_report);

}  // namespace embtrain
