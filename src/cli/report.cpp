// report.cpp — STUB: `embtrain report RUN_DIR` rewrites report.html.
#include "cli/commands.h"

namespace embtrain::cli {

void setup_report(CLI::App& app) { app.add_subcommand("report", "Write RUN_DIR/report.html again"); }

}  // namespace embtrain::cli
