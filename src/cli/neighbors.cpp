// neighbors.cpp — `embtrain neighbors`: nearest tokens by cosine in a run's embedding.
#include <memory>

#include "cli/commands.h"
#include "embtrain/backend.h"
#include "embtrain/saved_run.h"

namespace embtrain::cli {

void setup_neighbors(CLI::App& app) {
  auto options = std::make_shared<NeighborsOptions>();
  CLI::App* command =
      app.add_subcommand("neighbors", "Nearest tokens by cosine, before or after training");
  command->add_option("-r,--run", options->run_dir, "Run folder written by `embtrain train`")->required();
  command->add_option("token", options->tokens, "Tokens to look up")->required();
  command->add_option("-k", options->k, "How many neighbours")->check(CLI::PositiveNumber)->capture_default_str();
  command->add_option("--when", options->when, "before | after")
      ->check(CLI::IsMember({"before", "after"}))
      ->capture_default_str();
  command->add_flag("--json", options->json, "One JSON object {when, k, neighbors: {token: [[t, cos]...]}}");
  command->footer("Example:\n  embtrain neighbors --run runs/seed happy sad -k 3 --when before");
  command->callback([options] { torch_backend().nearest_tokens(*options); });
}

}  // namespace embtrain::cli
