// common.cpp — options and logging shared by the subcommands.
#include <spdlog/spdlog.h>

#include <filesystem>

#include "cli/commands.h"
#include "embtrain/backend.h"
#include "embtrain/text/error.h"
#include "embtrain/text/run_dir.h"

namespace embtrain::cli {

int& exit_code() {
  static int code = 0;
  return code;
}

void add_config_options(CLI::App& command, ConfigOptions& options, bool config_required) {
  auto* config = command.add_option("-c,--config", options.config_path,
                                    "JSON config file (see README: config keys)");
  if (config_required) config->required();
  command
      .add_option("-s,--set", options.overrides,
                  "Override a config key, e.g. --set train.epochs=5 --set data.train=my.tsv; the "
                  "value is JSON where it parses, else a string; repeatable, beats the file")
      ->allow_extra_args(false);
  command.add_flag("-q,--quiet", options.quiet, "Warnings and errors only, no progress line");
  command
      .add_option("--log-level", options.log_level, "Log level on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
}

void add_run_argument(CLI::App& command, RunArgument& argument, const char* rest, const char* rest_help) {
  command.add_option("-r,--run", argument.run,
                     "The run folder, when not given first (kept for scripts: --run RUN)");
  const std::string help = rest ? std::string("RUN (a folder written by `embtrain train`), then ") + rest_help
                                : std::string("RUN: a folder written by `embtrain train`");
  command.add_option(rest ? std::string("RUN_AND_") + rest : std::string("RUN"), argument.positionals, help);
}

std::string resolve_run(const RunArgument& argument, const std::string& command, bool rest_allowed,
                        std::vector<std::string>* rest) {
  std::vector<std::string> others = argument.positionals;
  std::string run = argument.run;
  if (run.empty()) {
    if (others.empty()) {
      throw Error::usage("embtrain " + command + " needs the run folder: embtrain " + command + " RUN ...");
    }
    run = others.front();
    others.erase(others.begin());
  }
  if (!rest_allowed && !others.empty()) {
    throw Error::usage("embtrain " + command + " takes one run folder, got also '" + others.front() + "'");
  }
  if (rest) *rest = std::move(others);
  return run;
}

nlohmann::json rows_from_embeddings(const std::string& run_dir, const nlohmann::json& report,
                                    const std::vector<std::string>& tokens) {
  const std::string embeddings = (std::filesystem::path(run_dir) / run_file::embeddings).string();
  if (!std::filesystem::exists(embeddings)) {
    throw Error::runtime("cannot look tokens up: '" + embeddings + "' is missing (the run's every row is there)");
  }
  const nlohmann::json::json_pointer neighbors("/config/report/neighbors");
  const nlohmann::json* configured = report.contains(neighbors) ? &report.at(neighbors) : nullptr;
  const int64_t k = configured && configured->is_number_integer() && configured->get<int64_t>() > 0
                        ? configured->get<int64_t>() : 5;
  return nlohmann::json::parse(torch_backend().describe_tokens(run_dir, tokens, k));
}

void apply_logging(const ConfigOptions& options) {
  auto level = spdlog::level::from_str(options.log_level);
  if (options.quiet && level < spdlog::level::warn) level = spdlog::level::warn;
  spdlog::set_level(level);
}

}  // namespace embtrain::cli
