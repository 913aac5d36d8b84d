// inspect.cpp — STUB, to be written.
#include "embtrain/inspect.h"

#include "embtrain/error.h"
#include "embtrain/io.h"

namespace embtrain {

nlohmann::json inspect_report(const nlohmann::json& report, const InspectOptions& options) {
  (void)options;
  return {{"summary", report.at("summary")}};
}

nlohmann::json read_report(const std::string& run_dir_or_report) {
  return nlohmann::json::parse(read_file(run_dir_or_report + "/report.json"));
}

}  // namespace embtrain
