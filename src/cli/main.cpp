// main.cpp — parses the command line, dispatches, and turns errors into one
// line on stderr and an exit code (0 ok, 2 usage/config error, 1 other failure).
#include <malloc.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

#include "cli/commands.h"
#include "cli/workers.h"
#include "embtrain/backend.h"
#include "embtrain/text/config.h"
#include "embtrain/text/error.h"

namespace {

// The closest of `names` to `typed` when it is close enough to be a typo, else "".
std::string closest(const std::string& typed, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = std::string::npos;
  for (const auto& name : names) {
    const size_t distance = embtrain::edit_distance(typed, name);
    if (distance < best_distance) best_distance = distance, best = name;
  }
  return best_distance <= std::max<size_t>(2, typed.size() / 3) ? best : std::string();
}

// The subcommands' names, in the order they were added.
std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

// "did you mean" for a mistyped subcommand or option: the first word that is neither a known
// subcommand nor an option of the command given.
std::string suggestion(const CLI::App& app, int argc, char** argv) {
  const CLI::App* command = nullptr;
  const std::vector<std::string> subcommands = command_names(app);
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (!command) {
      if (word.rfind("-", 0) == 0) continue;
      for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->get_name() == word) command = sub;
      }
      if (command) continue;
      const std::string near = closest(word, subcommands);
      return near.empty() ? "" : " (did you mean 'embtrain " + near + "'?)";
    }
    if (word.rfind("--", 0) != 0) {
      // A config file given without --config (`train configs/seed.json`).
      const bool takes_config = command->get_option_no_throw("--config") != nullptr;
      if (takes_config && word.size() > 5 && word.compare(word.size() - 5, 5, ".json") == 0 &&
          command->get_option("--config")->count() == 0) {
        return " (a config file is given with --config: embtrain " + command->get_name() + " --config " + word + ")";
      }
      continue;
    }
    const std::string name = word.substr(2, word.find('=') - 2);
    // A config key typed as an option (`--epochs 5`): keys are set with --set.
    for (const auto& key : embtrain::config_keys()) {
      if (key.substr(key.find('.') + 1) != name || command->get_option_no_throw("--set") == nullptr) continue;
      const std::string value = word.find('=') != std::string::npos ? word.substr(word.find('=') + 1)
                                : i + 1 < argc                    ? std::string(argv[i + 1])
                                                                  : std::string("VALUE");
      return " (config keys are set with --set: --set " + key + "=" + value + ")";
    }
    std::vector<std::string> options;
    for (const auto* option : command->get_options()) {
      for (const auto& known : option->get_lnames()) options.push_back(known);
    }
    if (std::find(options.begin(), options.end(), name) != options.end()) continue;
    const std::string near = closest(name, options);
    return near.empty() ? "" : " (did you mean '--" + near + "'?)";
  }
  return "";
}

// `embtrain help [COMMAND]` prints the help; a first word that is no command (`embtrain tune
// --help`) is an error even with --help after it, which CLI11 would answer with the main help.
// Returns the exit code, or -1 to parse as usual.
int help_or_unknown_command(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return -1;
  const std::string first = argv[1];
  const std::vector<std::string> names = command_names(app);
  auto known = [&](const std::string& name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  if (first == "help") {
    if (argc == 2) {
      std::cout << app.help();
      return 0;
    }
    if (known(argv[2])) {
      std::cout << app.get_subcommand(argv[2])->help("embtrain");
      return 0;
    }
  } else if (known(first)) {
    return -1;
  }
  const std::string word = first == "help" ? argv[2] : first;
  const std::string near = closest(word, names);
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
  std::cerr << "embtrain: error: '" << word << "' is not an embtrain command"
            << (near.empty() ? "" : " (did you mean 'embtrain " + near + "'?)") << "; the commands are " << list
            << " (usage: embtrain --help)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Large dense gradients are freed and re-allocated every step; with glibc's
  // default thresholds each comes back as fresh mmap'd pages and page-faults
  // (8x slower seen). Keep such blocks on the heap instead.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);

  auto logger = spdlog::stderr_color_mt("embtrain");
  logger->set_pattern(embtrain::cli::worker_prefix() + "%^%l%$: %v");
  spdlog::set_default_logger(logger);

  CLI::App app{
      "embtrain: train a text classifier's embedding layer with LibTorch and see what it "
      "learned.\nStart with: embtrain train --config configs/seed.json"};
  app.name("embtrain");  // `embtrain help` prints before argv names the program
  app.require_subcommand(1);
  app.add_flag_callback(
      "-V,--version",
      [] {
        const std::string torch_version = embtrain::torch_backend().version();  // may throw
        std::cout << "embtrain " << EMBTRAIN_VERSION << "\nLibTorch " << torch_version << '\n';
        throw CLI::Success();
      },
      "Print embtrain's and LibTorch's versions");
  embtrain::cli::setup_train(app);
  embtrain::cli::setup_vocab(app);
  embtrain::cli::setup_encode(app);
  embtrain::cli::setup_inspect(app);
  embtrain::cli::setup_report(app);
  embtrain::cli::setup_predict(app);
  embtrain::cli::setup_eval(app);
  embtrain::cli::setup_neighbors(app);
  embtrain::cli::setup_export(app);
  embtrain::cli::setup_compare(app);
  embtrain::cli::setup_similarity(app);
  embtrain::cli::setup_analogy(app);
  embtrain::cli::setup_tune(app);
  embtrain::cli::setup_keys(app);

  try {
    if (const int code = help_or_unknown_command(app, argc, argv); code >= 0) return code;
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // One line, as every other error: what the parser found, and where the usage is.
    const auto commands = app.get_subcommands();
    const std::string help = commands.empty() ? "embtrain --help"
                                              : "embtrain " + commands.back()->get_name() + " --help";
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::cerr << "embtrain: error: " << what << suggestion(app, argc, argv) << " (usage: " << help << ")\n";
    return 2;
  } catch (const embtrain::Error& e) {
    std::cerr << "embtrain: error: " << embtrain::cli::worker_prefix() << e.what() << '\n';
    return e.exit_code();
  } catch (const std::exception& e) {
    // LibTorch's messages carry a backtrace after the first line: keep one line.
    const std::string what = e.what();
    std::cerr << "embtrain: error: " << embtrain::cli::worker_prefix() << what.substr(0, what.find('\n')) << '\n';
    return 1;
  }
  return embtrain::cli::exit_code();
}
