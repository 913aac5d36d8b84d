// train.cpp — `embtrain train`: config in, a run folder out.
#include <filesystem>
#include <future>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "embtrain/backend.h"
#include "embtrain/text/config.h"
#include "embtrain/text/error.h"
#include "embtrain/text/prepare.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/run.h"

namespace embtrain::cli {
namespace {

struct TrainOptions {
  ConfigOptions config;
  RunOptions run;
  std::string resume_dir;
};

void run_train(const TrainOptions& options) {
  apply_logging(options.config);
  namespace fs = std::filesystem;
  RunOptions run = options.run;
  run.quiet = options.config.quiet;
  std::string config_path = options.config.config_path;
  if (!options.resume_dir.empty()) {
    if (!config_path.empty()) throw Error::usage("--resume takes the run's own config: drop --config");
    if (!run.output_dir.empty() || run.force) {
      throw Error::usage("--resume continues RUN_DIR in place: drop --output-dir and --force");
    }
    config_path = RunDir::open_resumable(options.resume_dir).file(run_file::config);
    run.output_dir = options.resume_dir;
    run.resume = true;
  } else if (config_path.empty()) {
    throw Error::usage("train needs --config FILE (or --resume RUN_DIR)");
  }
  // Config mistakes are reported before LibTorch is loaded.
  const Config config = load_config(config_path, options.config.overrides);
  if (run.output_dir.empty()) {
    run.output_dir = (fs::path("runs") / fs::path(config_path).stem()).string();
  }
  std::optional<RunDir> fresh;
  if (!run.resume) fresh = RunDir::prepare_new(run.output_dir, run.force);
  const RunLock lock = RunDir::at(run.output_dir).lock();  // held until the run is written
  // Loading LibTorch takes ~0.2 s; read and encode the data meanwhile.
  auto backend = std::async(std::launch::async, [] { return &torch_backend(); });
  PreparedData data = prepare_data(config);
  // The new run is known to start: only now does a run that --force replaces go.
  if (fresh) fresh->remove_previous_run();
  exit_code() = backend.get()->run_training(config, run, data);
}

}  // namespace

void setup_train(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* command = app.add_subcommand(
      "train",
      "Train the classifier and write a run folder: config.json, vocab.txt, model.pt, "
      "metrics.jsonl, report.json (embedding weights before/after and what changed)");
  add_config_options(*command, options->config, /*config_required=*/false);
  command->add_option("--resume", options->resume_dir,
                      "Continue the run in RUN_DIR from its checkpoint.pt (its config.json; --set "
                      "may change e.g. train.epochs)");
  command->add_option("-o,--output-dir", options->run.output_dir,
                      "Run folder (default: runs/<config file name without extension>)");
  command->add_flag("-f,--force", options->run.force, "Replace a run already in the output folder");
  command->add_flag("--json", options->run.json, "Print a JSON summary of the run on stdout");
  command->footer(
      "Examples:\n"
      "  embtrain train --config configs/seed.json\n"
      "  embtrain train --config configs/seed.json --set train.epochs=5 --set train.lr=0.01 "
      "--output-dir runs/try --force\n"
      "  embtrain train --resume runs/try    # after Ctrl-C, or to continue a run\n"
      "  embtrain train --config configs/topics.json   # many labels: __label__sport __label__tech text\n"
      "    then: embtrain inspect runs/topics; embtrain predict runs/topics -k 2 \"late goal\";\n"
      "          embtrain eval runs/topics --data data/topics/test.txt; embtrain export runs/topics --output t.vec\n\n"
      "Ctrl-C (SIGINT) or SIGTERM stops at the next step, writes checkpoint.pt and the report so far,\n"
      "and exits with 130 or 143; a second signal exits at once.");
  command->callback([options] { run_train(*options); });
}

}  // namespace embtrain::cli
