// fuzz_report.cpp — libFuzzer harness: what inspect, report and compare read from a run.
// Input: report.json's text, a NUL byte, metrics.jsonl's text. The report goes through
// view_report (the typed view), inspect_view and the HTML page; the metrics through
// parse_metrics_lines and the page. Only embtrain::Error may come out.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "embtrain/text/error.h"
#include "embtrain/text/html_report.h"
#include "embtrain/text/inspect.h"
#include "embtrain/text/report_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find('\0');
  const std::string report_text = input.substr(0, split);
  const std::string metrics_text = split == std::string::npos ? "" : input.substr(split + 1);
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(report_text);
  } catch (const nlohmann::json::exception&) {
    return 0;  // not JSON: read_report's own error, tested elsewhere
  }
  try {
    const embtrain::ReportView view = embtrain::view_report(report);
    embtrain::InspectOptions options;
    options.tokens = {"happy", "nosuchtoken"};
    embtrain::inspect_view(view, options);
    const auto epochs = embtrain::parse_metrics_lines(metrics_text, "fuzz/metrics.jsonl");
    embtrain::render_html_report(report, epochs);
  } catch (const embtrain::Error&) {
  }
  return 0;
}
