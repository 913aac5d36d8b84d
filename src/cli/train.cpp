// train.cpp — `embtrain train`: config in, a run folder out.
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "cli/commands.h"
#include "cli/workers.h"
#include "embtrain/backend.h"
#include "embtrain/text/config.h"
#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/text/prepare.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/text/threads.h"
#include "embtrain/text/word_corpus.h"
#include "embtrain/run.h"

namespace embtrain::cli {
namespace {

struct TrainOptions {
  ConfigOptions config;
  RunOptions run;
  std::string resume_dir;
  int64_t nproc = 1;
};

// The config file and run folder of a train command: --config, or the run's own config
// under --resume RUN_DIR; `--resume auto` resumes --config's run when it holds a checkpoint
// and starts it otherwise (the same command starts and restarts a run).
std::string resolve_run_and_config(const TrainOptions& options, RunOptions& run) {
  namespace fs = std::filesystem;
  std::string config_path = options.config.config_path;
  const bool automatic = options.resume_dir == "auto";
  if (!options.resume_dir.empty() && !automatic) {
    if (!config_path.empty()) throw Error::usage("--resume takes the run's own config: drop --config (or use --resume auto)");
    if (!run.output_dir.empty() || run.force) {
      throw Error::usage("--resume continues RUN_DIR in place: drop --output-dir and --force");
    }
    run.output_dir = options.resume_dir;
    run.resume = true;
    // Rank 0 vets the folder (and may already hold it, in_progress.json naming it): the other
    // workers only read its config.
    if (!run.workers.writes()) return RunDir::at(options.resume_dir).file(run_file::config);
    return RunDir::open_resumable(options.resume_dir).file(run_file::config);
  }
  if (config_path.empty()) {
    throw Error::usage(automatic ? "--resume auto needs --config FILE: it resumes that config's run "
                                   "when the run folder holds a checkpoint, and starts it otherwise"
                                 : "train needs --config FILE (or --resume RUN_DIR)");
  }
  if (run.output_dir.empty()) run.output_dir = (fs::path("runs") / fs::path(config_path).stem()).string();
  if (automatic) {
    // An interrupted --force replacement of this run is continued where it was built.
    const RunDir replacement = RunDir::at(RunDir::replacement_path(run.output_dir));
    if (!replacement.replaces().empty() && replacement.has(run_file::checkpoint) &&
        replacement.has(run_file::config)) {
      run.output_dir = replacement.path();
    }
    const RunDir folder = RunDir::at(run.output_dir);
    if (folder.has(run_file::checkpoint) && folder.has(run_file::config)) {
      run.resume = true;
    } else if (!folder.has(run_file::report)) {
      run.force = true;  // an attempt that left no checkpoint: nothing in it to keep
    }
  }
  return config_path;
}

// Tests only (the environment is read here, never in the core):
//   EMBTRAIN_TEST_SIGNAL_AT=EPOCH:STEP:SIGNAL[:TIMES]  raise SIGNAL right after that step;
//   EMBTRAIN_TEST_SIGNAL_RANK=R                         ... in worker R only;
//   EMBTRAIN_TEST_KILL_AT=FILE:N:before|after           SIGKILL at the Nth atomic write of a file
//                                                       named FILE, before or after its rename;
//   EMBTRAIN_TEST_SPLIT=1                               every threaded kernel splits, however small.
// EMBTRAIN_PROFILE=FILE writes a Chrome trace of every LibTorch op (for people, not tests).
void read_test_hooks(RunOptions& run) {
  if (const char* text = std::getenv("EMBTRAIN_TEST_SIGNAL_AT")) {
    long long epoch = 0, step = 0, signal_number = 0, times = 1;
    if (std::sscanf(text, "%lld:%lld:%lld:%lld", &epoch, &step, &signal_number, &times) >= 3) {
      run.test_signal = {epoch, step, signal_number, times, -1};
    }
  }
  if (const char* rank = std::getenv("EMBTRAIN_TEST_SIGNAL_RANK")) run.test_signal.rank = std::atoll(rank);
  if (const char* profile = std::getenv("EMBTRAIN_PROFILE")) run.profile = profile;
  run.test_split_always = std::getenv("EMBTRAIN_TEST_SPLIT") != nullptr;
  static std::string kill_file;
  static long long kill_nth = 0, seen = 0;
  static bool kill_after = false;
  if (const char* text = std::getenv("EMBTRAIN_TEST_KILL_AT")) {
    const std::string spec = text;
    const auto first = spec.find(':'), second = spec.rfind(':');
    if (first == std::string::npos || second == first) return;
    kill_file = spec.substr(0, first);
    kill_nth = std::atoll(spec.substr(first + 1, second - first - 1).c_str());
    kill_after = spec.substr(second + 1) == "after";
    set_write_hook([](const std::string& path, bool renamed) {
      if (renamed != kill_after || std::filesystem::path(path).filename() != kill_file) return;
      if (++seen == kill_nth) std::raise(SIGKILL);
    });
  }
}

void run_train(const TrainOptions& options) {
  apply_logging(options.config);
  RunOptions run = options.run;
  run.quiet = options.config.quiet;
  run.workers = worker_setup_from_environment();
  read_test_hooks(run);
  // Rank 0 speaks for the run; the other workers say only what goes wrong (unless asked).
  if (!run.workers.writes() && options.config.log_level == "info") spdlog::set_level(spdlog::level::warn);
  const std::string config_path = resolve_run_and_config(options, run);
  // Config mistakes are reported before LibTorch is loaded.
  const Config config = load_config(config_path, options.config.overrides);
  if (options.nproc > 1 && !launched_by_nproc()) {
    if (run.workers.distributed()) {
      throw Error::usage("--nproc starts workers itself; under torchrun (WORLD_SIZE is set) drop it");
    }
    // The folder is vetted once, here; rank 0 takes it over.
    if (!run.resume) RunDir::prepare_new(run.output_dir, run.force);
    exit_code() = launch_workers(options.nproc, std::chrono::seconds(5));
    return;
  }
  const bool writes = run.workers.writes();
  std::optional<RunDir> fresh;
  if (!run.resume && writes) fresh = RunDir::prepare_new(run.output_dir, run.force);
  const RunDir folder = fresh ? *fresh : RunDir::at(run.output_dir);
  std::vector<RunLock> locks;  // held until the run is written
  if (writes) {
    // A replacement holds the run it replaces too (written nothing into), then its own folder.
    if (const std::string target = folder.replaces(); !target.empty()) {
      locks.push_back(RunDir::at(target).lock(/*announce=*/false));
      // Said at debug level: --force is routine; a stop or failure says what it left (run.cpp).
      spdlog::debug("{} the new run in {}: the run it replaces stays as it is until this one finishes",
                    run.resume ? "continuing" : "building", folder.path());
    }
    locks.push_back(folder.lock());
  }
  run.output_dir = folder.path();
  // Loading LibTorch takes ~0.2 s; read and encode the data meanwhile.
  auto backend = std::async(std::launch::async, [] { return &torch_backend(); });
  // A replacement that failed and can not resume is of no use: the old run stays, alone.
  const auto drop_failed_replacement = [&] {
    if (!folder.replaces().empty() && !folder.has(run_file::checkpoint)) {
      std::error_code ignored;
      std::filesystem::remove_all(folder.path(), ignored);
    }
  };
  if (is_word_objective(config.model.objective)) {
    const WordCorpus corpus = prepare_word_corpus(config);
    if (fresh) fresh->remove_previous_run();
    try {
      exit_code() = backend.get()->run_word_training(config, run, corpus);
    } catch (...) {
      drop_failed_replacement();
      throw;
    }
    return;
  }
  // The training file is read and counted on train.threads threads (text/token_count.h); the
  // torch side sets the pool again for training (torch/threads.h).
  set_shared_threads(config.train.threads);
  const auto reading = std::chrono::steady_clock::now();
  PreparedData data = prepare_data(config);
  spdlog::debug("data read, counted and encoded in {:.3f} s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - reading).count());
  // The new run is known to start: only now does a run that --force replaces go.
  if (fresh) fresh->remove_previous_run();
  try {
    exit_code() = backend.get()->run_training(config, run, data);
  } catch (...) {
    drop_failed_replacement();
    throw;
  }
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
                      "may change e.g. train.epochs). `--resume auto` with --config: continue that "
                      "config's run if it holds a checkpoint, else start it (for restarts)")
      ->type_name("RUN_DIR|auto");
  command->add_option("--nproc", options->nproc,
                      "Train as N worker processes on this machine (data-parallel over c10d/Gloo; "
                      "loopback only, no Python needed): the same global batches as one process, so "
                      "the same weights up to the order of floating-point sums (word objectives: the "
                      "same bytes)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
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
      "  embtrain train --config configs/spam.json --nproc 2   # two worker processes\n"
      "  torchrun --standalone --nproc_per_node 2 --no_python embtrain train --config configs/spam.json\n\n"
      "Ctrl-C (SIGINT) or SIGTERM stops at the next step, writes checkpoint.pt and the report so far,\n"
      "and exits with 130 or 143; a second signal exits at once.");
  command->callback([options] { run_train(*options); });
}

}  // namespace embtrain::cli
