// common.cpp — options and logging shared by the subcommands.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "embtrain/text/error.h"

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

void apply_logging(const ConfigOptions& options) {
  auto level = spdlog::level::from_str(options.log_level);
  if (options.quiet && level < spdlog::level::warn) level = spdlog::level::warn;
  spdlog::set_level(level);
}

}  // namespace embtrain::cli
