// neighbors.cpp — `embtrain neighbors`: nearest tokens by cosine in a run's embedding.
#include <memory>

#include "cli/commands.h"
#include "embtrain/backend.h"
#include "embtrain/saved_run.h"
#include "embtrain/text/error.h"

namespace embtrain::cli {

void setup_neighbors(CLI::App& app) {
  auto options = std::make_shared<NeighborsOptions>();
  auto run = std::make_shared<RunArgument>();
  CLI::App* command =
      app.add_subcommand("neighbors", "Nearest tokens by cosine, before or after training");
  add_run_argument(*command, *run, "TOKEN", "the tokens to look up");
  command->add_option("-k", options->k, "How many neighbours")->check(CLI::PositiveNumber)->capture_default_str();
  command->add_option("--when", options->when, "before | after")
      ->check(CLI::IsMember({"before", "after"}))
      ->capture_default_str();
  command->add_flag("--json", options->json, "One JSON object {when, k, neighbors: {token: [[t, cos]...]}}");
  command->footer("Example:\n  embtrain neighbors runs/seed happy sad -k 3 --when before");
  command->callback([options, run] {
    options->run_dir = resolve_run(*run, "neighbors", true, &options->tokens);
    if (options->tokens.empty()) throw Error::usage("embtrain neighbors needs tokens: embtrain neighbors RUN TOKEN...");
    torch_backend().nearest_tokens(*options);
  });
}

}  // namespace embtrain::cli
