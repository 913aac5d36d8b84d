// compare.cpp — `embtrain compare`: two runs' embeddings and metrics side by side.
#include <memory>

#include "cli/commands.h"
#include "embtrain/backend.h"
#include "embtrain/saved_run.h"

namespace embtrain::cli {

void setup_compare(CLI::App& app) {
  auto options = std::make_shared<CompareOptions>();
  CLI::App* command = app.add_subcommand(
      "compare", "Two runs side by side: per-token cosine between the runs, tokens that moved "
                 "differently, metric differences");
  command->add_option("run_a", options->run_a, "First run folder")->required();
  command->add_option("run_b", options->run_b, "Second run folder")->required();
  command->add_option("--top", options->top, "Tokens listed as moved differently")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_flag("--json", options->json, "One JSON object");
  command->footer("Example:\n  embtrain compare runs/lr-0.001 runs/lr-0.01");
  command->callback([options] { torch_backend().compare_runs(*options); });
}

}  // namespace embtrain::cli
