// commands.h — one setup_<command>() per subcommand.
//
// Each registers its subcommand, options and help text on the CLI::App and a
// callback that turns the parsed options into a call of the core library.
// Nothing here trains or parses data itself.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace embtrain::cli {

// Options every subcommand that reads a config takes.
struct ConfigOptions {
  std::string config_path;
  std::vector<std::string> overrides;
  std::string log_level = "info";
  bool quiet = false;
};

void add_config_options(CLI::App& command, ConfigOptions& options, bool config_required = true);

// The exit code a command asks main to return when it did not throw (default 0).
int& exit_code();
// Applies --quiet / --log-level to the default spdlog logger.
void apply_logging(const ConfigOptions& options);

void setup_train(CLI::App& app);
void setup_vocab(CLI::App& app);
void setup_encode(CLI::App& app);
void setup_inspect(CLI::App& app);
void setup_report(CLI::App& app);
void setup_predict(CLI::App& app);
void setup_eval(CLI::App& app);
void setup_neighbors(CLI::App& app);
void setup_export(CLI::App& app);
void setup_compare(CLI::App& app);
void setup_keys(CLI::App& app);

}  // namespace embtrain::cli
