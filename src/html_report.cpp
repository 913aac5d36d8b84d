// html_report.cpp — STUB, to be written.
#include "embtrain/html_report.h"

namespace embtrain {

std::string render_html_report(const nlohmann::json& report,
                               const std::vector<nlohmann::json>& epochs) {
  (void)report;
  (void)epochs;
  return "<!doctype html><title>embtrain report</title>\n";
}

}  // namespace embtrain
