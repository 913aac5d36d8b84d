// inspect.cpp — STUB: `embtrain inspect`.
#include "cli/commands.h"

namespace embtrain::cli {

void setup_inspect(CLI::App& app) { app.add_subcommand("inspect", "What changed in a run and why"); }

}  // namespace embtrain::cli
