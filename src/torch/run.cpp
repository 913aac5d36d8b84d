// run.cpp — run_training: the `embtrain train` pipeline and what it writes.
#include "embtrain/run.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <numeric>

#include "embtrain/backend.h"
#include "embtrain/saved_run.h"
#include "embtrain/text/config.h"
#include "embtrain/text/io.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/text/run_health.h"
#include "embtrain/text/run_state.h"
#include "embtrain/text/signals.h"
#include "embtrain/torch/artefacts.h"
#include "embtrain/torch/checkpoint.h"
#include "embtrain/torch/progress.h"
#include "embtrain/torch/session.h"
#include "embtrain/torch/trainer.h"
#include "embtrain/torch/word_objective.h"

namespace embtrain {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// `labels`: a multi-label run's label names, which key its per-label metrics.
json epoch_json(const EpochRecord& record, const std::vector<std::string>& labels) {
  json line = {{"epoch", record.epoch}, {"seconds", record.seconds}, {"train", to_json(record.train, labels)}};
  if (record.valid) line["valid"] = to_json(*record.valid, labels);
  if (record.test) line["test"] = to_json(*record.test, labels);
  return line;
}

}  // namespace

namespace {

// The training loop with its hooks: the progress line, a metrics line and a log line per epoch,
// checkpoints every train.checkpoint_every epochs, SIGINT/SIGTERM stopping at the next step
// (a second one exits at once), and EMBTRAIN_PROFILE's trace.
void train_with_hooks(Session& session) {
  const Config& config = session.config;
  Progress progress(Progress::mode_for(session.options.quiet, session.writes), config.train.epochs,
                    config.train.batch_size);
  RunHealth health(config, session.data.train);
  const int64_t log_every = std::max<int64_t>(1, config.train.epochs / 10);
  TrainHooks hooks;
  const TestSignal& signal_at = session.options.test_signal;
  hooks.on_step = [&](int64_t epoch, int64_t step, int64_t steps, double loss) {
    progress.step(epoch, step, steps, loss);
    if (epoch == signal_at.epoch && step == signal_at.step && signal_at.fires_in(session.options.workers)) {
      for (int64_t i = 0; i < signal_at.times; ++i) std::raise(static_cast<int>(signal_at.signal));
    }
  };
  hooks.on_epoch = [&](const EpochRecord& record, const TrainProgress& now) {
    session.epochs.push_back(epoch_json(record, config.data.output_names()));
    if (!session.writes) return;
    const auto& grad_steps = now.stats.grad_steps;
    health.epoch_done(record.epoch, std::accumulate(grad_steps.begin(), grad_steps.end(), int64_t{0}),
                      record.train.loss);
    append_line(session.run_dir.file(run_file::metrics), session.epochs.back().dump());
    const int64_t every = config.train.checkpoint_every;
    if (every > 0 && record.epoch % every == 0 && record.epoch < config.train.epochs) {
      save_checkpoint(session.run_dir.file(run_file::checkpoint), session.model,
                      *session.optimizer, now, metrics_text(session.epochs), session.fingerprint);
    }
    if (record.epoch % log_every == 0 || record.epoch == 1 || record.epoch == config.train.epochs) {
      progress.clear();
      std::string line = fmt::format("epoch {}/{}: train loss {:.4f} accuracy {:.3f}", record.epoch,
                                     config.train.epochs, record.train.loss, record.train.accuracy);
      if (record.valid) line += fmt::format(", valid accuracy {:.3f}", record.valid->accuracy);
      if (record.test) line += fmt::format(", test accuracy {:.3f}", record.test->accuracy);
      spdlog::info("{}", line);
    }
  };
  const SignalGuard signals;
  hooks.stop_requested = [] { return SignalGuard::received() != 0; };
  std::unique_ptr<ChromeTrace> profile;
  if (!session.options.profile.empty()) profile = std::make_unique<ChromeTrace>(session.options.profile);
  const auto& data = session.data;
  try {
    train(session.model, *session.optimizer, data.train, data.valid ? &*data.valid : nullptr,
          data.test ? &*data.test : nullptr, config, session.device, hooks, session.progress,
          session.workers.get());
  } catch (...) {
    progress.clear();
    throw;
  }
  progress.clear();
  if (session.writes && !session.progress.interrupted) health.finish();
  session.signal_number = SignalGuard::received();
  if (session.workers) {
    spdlog::info("each step, each worker sent {} on average (train.batch_size {} over {} workers)",
                 session.workers->traffic(), config.train.batch_size, session.workers->size());
  }
  // Stopped because another worker was signalled: as if this one had been sent SIGTERM.
  if (session.progress.interrupted && session.signal_number == 0) session.signal_number = SIGTERM;
  phase_done(session, "training");
}

// The closing log lines, `train --json`'s summary, and the exit code: 0, or 128 + the signal.
int summarise(const Session& session, const json& report) {
  const RunOptions& options = session.options;
  const double seconds = std::chrono::duration<double>(Clock::now() - session.started).count();
  const bool interrupted = session.progress.interrupted;
  const auto& summary = report.at("summary");
  spdlog::info("{} in {:.2f} s: {} of {} embedding rows changed; largest change '{}' ({:.4f})",
               interrupted ? "stopped" : "done", seconds, summary.at("rows_changed").get<int64_t>(),
               session.data.vocab.size() + (report.contains("buckets") ? report["buckets"].value("rows_hit", int64_t{0}) : 0),
               summary.at("largest_change").at("token").get<std::string>(),
               summary.at("largest_change").at("change_norm").get<double>());
  const RunState state = run_state_from_json(report.at("state"), "report.json");
  if (state.status != RunState::Status::finished || state.best_epoch > 0) {
    spdlog::info("state: {}", state.describe(session.run_dir.path()));
  }
  const std::string report_path = session.run_dir.file(run_file::report);
  spdlog::info("report: {} (and report.html to open in a browser)", report_path);
  if (interrupted) {
    const std::string target = session.run_dir.replaces();
    if (!target.empty()) {
      spdlog::info("the run this one replaces is unchanged ({}); this run takes its place once it finishes",
                   target);
    }
    spdlog::info("continue with: embtrain train --resume {}", session.run_dir.path());
  }
  if (options.json) {
    const json out = {{"output_dir", session.run_dir.path()},
                      {"report", report_path},
                      {"seconds", seconds},
                      {"examples", session.data.train.size()},
                      {"vocab_size", session.data.vocab.size()},
                      {"rows_changed", summary.at("rows_changed")},
                      {"interrupted", interrupted},
                      {"state", report.at("state")},
                      {"metrics", report.at("metrics")}};
    std::cout << out.dump() << std::endl;
  }
  return interrupted ? 128 + session.signal_number : 0;
}

}  // namespace

int run_training(const Config& given, const RunOptions& options, PreparedData& data) {
  // A multi-label run's label set (from the training data) is part of its config: config.json
  // keeps it, and it sizes the model's output here and in every later command.
  Config config = given;
  config.data.labels = data.labels;
  Session session = set_up(config, options, data);  // nothing trained yet; config.json, vocab.txt
  train_with_hooks(session);                         // metrics.jsonl grows a line per epoch
  if (!session.writes) return session.progress.interrupted ? 128 + session.signal_number : 0;
  const json report = write_artefacts(session);     // tensors, report.html, report.json last
  // A --force replacement built beside the run it replaces takes its place only now.
  if (!session.progress.interrupted && !session.run_dir.replaces().empty()) {
    session.run_dir = session.run_dir.put_in_place();
  }
  return summarise(session, report);
}

}  // namespace embtrain

namespace {
// "2.13.0 (CPU; no CUDA device)" or "2.13.0 (CUDA: 1 device)": what `embtrain --version` prints.
std::string torch_version() {
  const auto devices = torch::cuda::device_count();
  return std::string(TORCH_VERSION) +
         (devices > 0 ? " (CUDA: " + std::to_string(devices) + (devices == 1 ? " device)" : " devices)")
                      : " (CPU; no CUDA device)");
}
const embtrain::TorchBackend kBackend{&embtrain::run_training,      &embtrain::predict,
                                      &embtrain::evaluate_run,      &embtrain::nearest_tokens,
                                      &embtrain::export_embeddings, &embtrain::compare_runs,
                                      &torch_version,               &embtrain::describe_tokens,
                                      &embtrain::run_word_vectors,  &embtrain::run_word_training};
}  // namespace

extern "C" int embtrain_torch_backend_version() { return embtrain::kTorchBackendVersion; }
extern "C" const embtrain::TorchBackend* embtrain_torch_backend() { return &kBackend; }
