// train.cpp — `embtrain train`: config in, a run folder out.
#include <filesystem>
#include <future>
#include <memory>

#include "cli/commands.h"
#include "embtrain/backend.h"
#include "embtrain/config.h"
#include "embtrain/prepare.h"
#include "embtrain/run.h"

namespace embtrain::cli {
namespace {

struct TrainOptions {
  ConfigOptions config;
  RunOptions run;
};

void run_train(const TrainOptions& options) {
  apply_logging(options.config);
  // Config mistakes are reported before LibTorch is loaded.
  const Config config = load_config(options.config.config_path, options.config.overrides);
  RunOptions run = options.run;
  run.quiet = options.config.quiet;
  if (run.output_dir.empty()) {
    run.output_dir =
        (std::filesystem::path("runs") / std::filesystem::path(options.config.config_path).stem())
            .string();
  }
  prepare_run_dir(run);
  // Loading LibTorch takes ~0.7 s; read and encode the data meanwhile.
  auto backend = std::async(std::launch::async, [] { return &torch_backend(); });
  PreparedData data = prepare_data(config);
  backend.get()->run_training(config, run, data);
}

}  // namespace

void setup_train(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* command = app.add_subcommand(
      "train",
      "Train the classifier and write a run folder: config.json, vocab.txt, model.pt, "
      "metrics.jsonl, report.json (embedding weights before/after and what changed)");
  add_config_options(*command, options->config);
  command->add_option("-o,--output-dir", options->run.output_dir,
                      "Run folder (default: runs/<config file name without extension>)");
  command->add_flag("-f,--force", options->run.force, "Replace a run already in the output folder");
  command->add_flag("--json", options->run.json, "Print a JSON summary of the run on stdout");
  command->footer(
      "Examples:\n"
      "  embtrain train --config configs/seed.json\n"
      "  embtrain train --config configs/seed.json --set train.epochs=5 --set train.lr=0.01 "
      "--output-dir runs/try --force");
  command->callback([options] { run_train(*options); });
}

}  // namespace embtrain::cli
