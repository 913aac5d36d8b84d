// commands.h — one setup_<command>() per subcommand.
//
// Each registers its subcommand, options and help text on the CLI::App and a
// callback that turns the parsed options into a call of the core library.
// Nothing here trains or parses data itself.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
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

// Every command that reads one run takes it the same way: RUN as the first positional
// argument (`embtrain predict runs/seed "I am happy"`), or `-r/--run RUN` (kept for scripts).
// `rest` names what follows RUN ("TEXT", "TOKEN") or is null when nothing may.
struct RunArgument {
  std::string run;
  std::vector<std::string> positionals;
};
void add_run_argument(CLI::App& command, RunArgument& argument, const char* rest, const char* rest_help);
// The run folder and the other positionals; an Error::usage naming the command when RUN is
// missing or something follows it that may not.
std::string resolve_run(const RunArgument& argument, const std::string& command, bool rest_allowed,
                        std::vector<std::string>* rest = nullptr);

// Each of `tokens` looked up in the run's embeddings.pt (every row, through the torch library,
// loaded only then): {token: {found, index, change_norm, cosine, neighbors: {before, after}}}
// or {found: false, reason}; k neighbours as the run's report.neighbors (5 when unset).
// `run_dir` is the run folder; `report` its report.json. An Error when embeddings.pt is missing.
nlohmann::json rows_from_embeddings(const std::string& run_dir, const nlohmann::json& report,
                                    const std::vector<std::string>& tokens);

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
void setup_similarity(CLI::App& app);
void setup_analogy(CLI::App& app);
void setup_tune(CLI::App& app);

}  // namespace embtrain::cli
