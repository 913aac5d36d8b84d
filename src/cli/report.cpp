// report.cpp — `embtrain report RUN_DIR`: writes RUN_DIR/report.html again from the run's
// report.json and metrics.jsonl (no LibTorch unless --token asks for rows from embeddings.pt).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "embtrain/text/error.h"
#include "embtrain/text/html_report.h"
#include "embtrain/text/inspect.h"
#include "embtrain/text/io.h"
#include "embtrain/text/report_view.h"
#include "embtrain/text/run_dir.h"

namespace embtrain::cli {
namespace {

struct ReportOptions {
  std::string run_dir;
  std::vector<std::string> tokens;  // looked up in embeddings.pt and added to the page
};

void run_report(const ReportOptions& options) {
  const RunDir run = RunDir::open_finished(options.run_dir);
  const nlohmann::json report = read_report(run.file(run_file::report));
  const std::string metrics = run.file(run_file::metrics);
  std::vector<nlohmann::json> epochs;
  if (run.has(run_file::metrics)) {
    epochs = parse_metrics_lines(read_file(metrics), metrics);
  } else {
    spdlog::warn("no {}: the page will have no loss and accuracy curves", metrics);
  }
  const std::string html_path = run.file(run_file::report_html);
  const nlohmann::json looked_up = options.tokens.empty()
                                       ? nlohmann::json::object()
                                       : rows_from_embeddings(options.run_dir, report, options.tokens);
  write_file_atomic(html_path, render_html_report(report, epochs, looked_up));
  spdlog::info("report: {}", html_path);
}

}  // namespace

void setup_report(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  auto run = std::make_shared<RunArgument>();
  CLI::App* command = app.add_subcommand(
      "report",
      "Write RUN_DIR/report.html again from the run's report.json and metrics.jsonl: one "
      "self-contained page with the embedding space before/after (PCA), loss and accuracy "
      "curves, a heatmap of the change and the tables of `embtrain inspect`");
  add_run_argument(*command, *run, nullptr, nullptr);
  command->add_option("-t,--token", options->tokens,
                      "Add a table of these tokens read from model.pt and embeddings.pt (every row, also those a "
                      "bounded report.json did not keep): change, cosine, neighbours (repeatable)");
  command->footer(
      "Examples:\n"
      "  embtrain report runs/seed && xdg-open runs/seed/report.html\n"
      "  embtrain report runs/spam --token free --token hello");
  command->callback([options, run] {
    options->run_dir = resolve_run(*run, "report", false);
    run_report(*options);
  });
}

}  // namespace embtrain::cli
