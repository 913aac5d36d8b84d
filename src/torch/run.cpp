// run.cpp — run_training: the `embtrain train` pipeline and what it writes.
#include "embtrain/run.h"

#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/profiler_kineto.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <array>
#include <csignal>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <future>
#include <iostream>
#include <numeric>
#include <optional>

#include "embtrain/backend.h"
#include "embtrain/torch/checkpoint.h"
#include "embtrain/torch/distributed.h"
#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"
#include "embtrain/text/fingerprint.h"
#include "embtrain/text/html_report.h"
#include "embtrain/text/io.h"
#include "embtrain/torch/matrix_view.h"
#include "embtrain/torch/model.h"
#include "embtrain/torch/optimizer.h"
#include "embtrain/text/prepare.h"
#include "embtrain/torch/python_file.h"
#include "embtrain/saved_run.h"
#include "embtrain/text/report.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/text/run_health.h"
#include "embtrain/text/run_state.h"
#include "embtrain/text/signals.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/torch/trainer.h"
#include "embtrain/text/vectors.h"
#include "embtrain/text/vocab.h"

namespace embtrain {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Progress: a one-line display redrawn on a terminal; where stderr is not a terminal (a log
// file, CI), a log line every kLogEvery instead, so that a long run is never silent.
class Progress {
 public:
  enum class Mode { off, terminal, log };
  Progress(Mode mode, int64_t epochs, int64_t examples, int64_t batch_size)
      : mode_(mode), epochs_(epochs), examples_(examples), batch_size_(batch_size) {}

  void step(int64_t epoch, int64_t step, int64_t steps, double loss) {
    if (mode_ == Mode::off) return;
    const auto now = Clock::now();
    if (mode_ == Mode::log) {
      if (now - last_ < kLogEvery) return;
      if (last_ == Clock::time_point{}) {  // the first step starts the clock
        last_ = now;
        return;
      }
      last_ = now;
      const double elapsed = std::chrono::duration<double>(now - start_).count();
      const double done = static_cast<double>((epoch - 1) * steps + step);
      const double eta = done > 0 ? elapsed * (static_cast<double>(epochs_ * steps) - done) / done : 0;
      spdlog::info("epoch {}/{}, step {}/{}: loss {}, {:.0f} examples/s, about {:.0f} s left", epoch, epochs_,
                   step, steps, std::isnan(loss) ? std::string("-") : fmt::format("{:.4f}", loss),
                   elapsed > 0 ? done * static_cast<double>(batch_size_) / elapsed : 0.0, eta);
      return;
    }
    if (now - last_ < std::chrono::milliseconds(100) && !(epoch == epochs_ && step == steps)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double done = static_cast<double>((epoch - 1) * steps + step);
    const double total = static_cast<double>(epochs_ * steps);
    const double rate = elapsed > 0 ? done * static_cast<double>(batch_size_) / elapsed : 0;
    const double eta = done > 0 ? elapsed * (total - done) / done : 0;
    // The loss is NaN on GPU runs, where reading it every step would stall them.
    const std::string loss_text = std::isnan(loss) ? "-" : fmt::format("{:.4f}", loss);
    std::fprintf(stderr, "\r\033[Kepoch %lld/%lld  loss %s  %.0f examples/s  ETA %.0fs",
                 static_cast<long long>(epoch), static_cast<long long>(epochs_), loss_text.c_str(),
                 rate, eta);
    std::fflush(stderr);
    shown_ = true;
  }
  void clear() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }

 private:
  static constexpr std::chrono::seconds kLogEvery{10};
  Mode mode_;
  int64_t epochs_, examples_, batch_size_;
  Clock::time_point start_ = Clock::now(), last_{};
  bool shown_ = false;
};

// EMBTRAIN_PROFILE=FILE: a Chrome trace (chrome://tracing, Perfetto) of every LibTorch op
// while it lives, through PyTorch 2.x's Kineto profiler (what torch.profiler uses).
class ChromeTrace {
 public:
  explicit ChromeTrace(std::string path) : path_(std::move(path)) {
    namespace profiler = torch::autograd::profiler;
    const torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::KINETO);
    const std::set<torch::profiler::impl::ActivityType> activities{
        torch::profiler::impl::ActivityType::CPU};
    profiler::prepareProfiler(config, activities);
    profiler::enableProfiler(config, activities);
  }
  ~ChromeTrace() {
    try {
      torch::autograd::profiler::disableProfiler()->save(path_);
      spdlog::info("profile: {}", path_);
    } catch (const std::exception& e) {
      spdlog::warn("cannot write the profile '{}': {}", path_, e.what());
    }
  }
  ChromeTrace(const ChromeTrace&) = delete;
  ChromeTrace& operator=(const ChromeTrace&) = delete;

 private:
  std::string path_;
};


// Catches SIGINT and SIGTERM while it lives. The first sets received(); a second exits at
// once, after unlinking the temp files being written (files are only ever renamed into place,
// so none is left half-written).
class SignalGuard {
 public:
  // received_ is cleared before the handler goes in, so no signal of this run is lost.
  SignalGuard() : scope_((received_ = 0, &SignalGuard::handle)) {}
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;
  static int received() { return received_; }

 private:
  static void handle(int signal_number) {
    if (received_ != 0) {
      remove_temp_files_in_flight();  // nothing half-written stays behind
      ::_exit(128 + signal_number);
    }
    received_ = signal_number;
  }
  static inline volatile std::sig_atomic_t received_ = 0;
  const SignalScope scope_;
};

// VmHWM from /proc/self/status: the process's peak resident set so far.
int64_t peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) / 1024;
  }
  return -1;
}

// `labels`: a multi-label run's label names, which key its per-label metrics.
json epoch_json(const EpochRecord& record, const std::vector<std::string>& labels) {
  json line = {{"epoch", record.epoch}, {"seconds", record.seconds}, {"train", to_json(record.train, labels)}};
  if (record.valid) line["valid"] = to_json(*record.valid, labels);
  if (record.test) line["test"] = to_json(*record.test, labels);
  return line;
}

}  // namespace

namespace {

// Everything one run trains with and writes, made by set_up and passed through the phases.
struct Session {
  Session(const Config& config_, const RunOptions& options_, PreparedData& data_)
      : config(config_), options(options_), data(data_), run_dir(RunDir::at(options_.output_dir)),
        device(worker_device(resolve_device(config_.train.device), options_.workers)) {}

  // A worker of a data-parallel run on CUDA takes GPU LOCAL_RANK unless train.device names one.
  static torch::Device worker_device(torch::Device device, const WorkerSetup& workers) {
    if (!device.is_cuda() || device.has_index() || !workers.distributed()) return device;
    const auto gpus = static_cast<int64_t>(torch::cuda::device_count());
    return {torch::kCUDA, static_cast<c10::DeviceIndex>(workers.local_rank % std::max<int64_t>(gpus, 1))};
  }

  const Config& config;
  const RunOptions& options;
  PreparedData& data;
  RunDir run_dir;
  torch::Device device;
  std::unique_ptr<Workers> workers;  // a data-parallel run's group; null for one process
  bool writes = true;                // this process writes the run folder (rank 0 of a group)
  std::optional<WordVectors> pretrained;
  Classifier model{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  json resolved;                 // config.json: the config with absolute paths
  std::string fingerprint;       // what this run's checkpoints belong to (text/fingerprint.h)
  TrainProgress progress;        // where training starts (a resume) and, after training, ends
  // The rows training can move (every row of the training data, and row 0, flatten's padding)
  // [K] and their initial values [K, D]: every other row ends as it started, so `before` is
  // `after` with these put back, instead of the whole table drawn again.
  torch::Tensor initial_rows, initial_values;
  std::vector<json> epochs;      // metrics.jsonl's records so far, one per epoch
  int64_t extended_from = 0;     // a resume that adds epochs to a finished run: its old epochs
  int signal_number = 0;         // the signal that stopped training, or 0
  Clock::time_point started;
  Clock::time_point phase_started;
};

// Logs (at debug level) the time since the last phase and the peak RSS so far.
void phase_done(Session& session, const char* phase) {
  const auto now = Clock::now();
  spdlog::debug("{}: {:.3f} s, peak RSS so far {} MiB", phase,
                std::chrono::duration<double>(now - session.phase_started).count(), peak_rss_mib());
  session.phase_started = now;
}

// metrics.jsonl's lines, as checkpoints keep them.
std::string metrics_text(const std::vector<json>& epochs) {
  std::string text;
  for (const auto& epoch : epochs) text += epoch.dump() + "\n";
  return text;
}

// --resume: the checkpoint must belong to this config, vocabulary and data (fingerprint.h says
// which keys may change); a usage error naming every difference otherwise.
void check_resumable(const Session& session) {
  const std::string path = session.run_dir.file(run_file::checkpoint);
  const std::string saved = read_checkpoint_fingerprint(path);
  if (saved.empty()) {
    spdlog::warn("{} records no fingerprint (an older embtrain wrote it): cannot check that the "
                 "config and data are unchanged", path);
    return;
  }
  const std::string differences =
      fingerprint_differences(fingerprint_from_text(saved), fingerprint_from_text(session.fingerprint));
  if (!differences.empty()) {
    throw Error::usage("cannot resume '" + session.options.output_dir +
                       "': the run changed since its checkpoint (" + differences +
                       "); a resume may change only " + keys_a_resume_may_change());
  }
}

void keep_initial_rows(Session& session) {
  const auto& ids = session.data.train.ids;
  std::vector<char> seen(static_cast<size_t>(session.model->embedding->weight.size(0)), 0);
  if (!seen.empty()) seen[0] = 1;
  for (const int64_t id : ids) seen[static_cast<size_t>(id)] = 1;
  std::vector<int64_t> rows;
  for (size_t r = 0; r < seen.size(); ++r) {
    if (seen[r]) rows.push_back(static_cast<int64_t>(r));
  }
  session.initial_rows = torch::tensor(at::ArrayRef<int64_t>(rows), torch::kInt64);  // [K]
  session.initial_values = session.model->embedding->weight.detach().index_select(0, session.initial_rows).clone();
}

// A checkpoint past the last epoch is the final one, written just before the tensors and the
// report: when report.json is older than it (or missing), a crash came in between, and the
// resume only writes them again.
bool final_files_written(const RunDir& run_dir) {
  std::error_code error;
  const auto report = fs::last_write_time(run_dir.file(run_file::report), error);
  if (error) return false;
  return report >= fs::last_write_time(run_dir.file(run_file::checkpoint), error) && !error;
}

// --resume: the checkpoint's state, after checking that it belongs to this run.
void resume_from_checkpoint(Session& session) {
  const RunOptions& options = session.options;
  const Config& config = session.config;
  check_resumable(session);
  std::string lines;
  load_checkpoint(session.run_dir.file(run_file::checkpoint), session.model, *session.optimizer,
                  session.progress, lines);
  if (session.progress.stopped_early) {
    throw Error::usage("the run in '" + options.output_dir + "' stopped early at epoch " +
                       std::to_string(session.progress.epoch - 1) + " (train.early_stopping; its best epoch was " +
                       std::to_string(session.progress.best_epoch) + "): there is nothing to resume");
  }
  if (session.progress.epoch > config.train.epochs && final_files_written(session.run_dir)) {
    throw Error::usage("the run in '" + options.output_dir + "' has already finished all " +
                       std::to_string(config.train.epochs) + " epochs (--set train.epochs=N with a "
                       "larger N extends it)");
  }
  std::istringstream stream(lines);
  for (std::string line; std::getline(stream, line);) session.epochs.push_back(json::parse(line));
  const int64_t done = session.progress.epoch - 1;
  if (session.progress.step == 0 && done > 0 && final_files_written(session.run_dir)) {
    session.extended_from = done;
    spdlog::info("extending the finished run in '{}' from {} to {} epochs", options.output_dir, done,
                 config.train.epochs);
  } else {
    spdlog::info("resuming at epoch {} of {}, step {}", session.progress.epoch, config.train.epochs,
                 session.progress.step + 1);
  }
}

// How long workers wait for each other to arrive: each reads and encodes its data first.
constexpr std::chrono::seconds kWorkerSetupTimeout{600};

// A data-parallel run: every worker joins the group once it has its data and model, and they
// compare what they train (the fingerprint, the epochs, where a resume starts) before the
// first step. A worker other than rank 0 writes nothing, and its share of the epoch's tally
// starts at zero (a checkpoint holds the sum, which rank 0 carries).
void join_workers(Session& session) {
  const WorkerSetup& setup = session.options.workers;
  const TrainConfig& train = session.config.train;
  Fingerprint run = fingerprint_from_text(session.fingerprint);  // set_up hashed the data once already
  run.parts["train.epochs"] = std::to_string(train.epochs);
  run.parts["resume at"] = session.options.resume ? fmt::format("epoch {}, step {}", session.progress.epoch,
                                                                session.progress.step + 1)
                                                  : "a new run";
  const auto timeout = std::chrono::seconds(train.dist_timeout);
  session.workers = std::make_unique<Workers>(setup, run, timeout, std::max(timeout, kWorkerSetupTimeout));
  session.writes = setup.writes();
  if (!session.writes) session.progress.tally = {};
  spdlog::info("rank {} of {} workers: each step trains on its slice of the global batch of {}",
               setup.rank, setup.world_size, train.batch_size);
}

// Threads, device, the model (from pretrained vectors if asked) and its optimizer; config.json
// and vocab.txt first, so that an interrupted run can resume; then the checkpoint of a resume.
Session set_up(const Config& config, const RunOptions& options, PreparedData& data) {
  if (config.train.threads > 0) at::set_num_threads(static_cast<int>(config.train.threads));
  Session session(config, options, data);
  session.started = session.phase_started = Clock::now();
  spdlog::info("{} training examples, {} tokens, vocabulary of {}, device {}", data.train.size(),
               data.train.ids.size(), data.vocab.size(), session.device.str());
  if (config.train.batch_size > data.train.size()) {
    spdlog::info("train.batch_size {} is larger than the {} training examples: each epoch is one "
                 "step over all of them", config.train.batch_size, data.train.size());
  }
  if (!config.model.pretrained.empty()) session.pretrained = read_vec(config.model.pretrained);
  int64_t missing = 0;
  session.model = create_model(config, data.vocab, session.pretrained ? &*session.pretrained : nullptr,
                               &missing);
  if (session.pretrained) {
    spdlog::info("{}: vectors for {} of {} vocabulary tokens ({} not found, left at their random "
                 "initialisation)", config.model.pretrained, data.vocab.size() - missing,
                 data.vocab.size(), missing);
  }
  keep_initial_rows(session);
  const double tokens_per_example = static_cast<double>(data.train.ids.size()) /
                                    static_cast<double>(std::max<int64_t>(1, data.train.size()));
  if (const std::string note = dense_adam_note(config, data.rows, tokens_per_example); !note.empty()) {
    spdlog::info("{}", note);
  }
  session.model->to(session.device);
  session.optimizer = make_optimizer(session.model, config.train);

  session.resolved = to_json(with_absolute_paths(config));
  session.fingerprint = to_text(run_fingerprint(config, data));
  // A resume reads and checks the checkpoint before the folder is written at all.
  if (options.resume) resume_from_checkpoint(session);
  if (options.workers.distributed()) join_workers(session);
  if (!session.writes) return session;
  write_file_atomic(session.run_dir.file(run_file::config), session.resolved.dump(2) + "\n");
  write_file_atomic(session.run_dir.file(run_file::vocab), data.vocab.to_text());
  // metrics.jsonl starts as the checkpoint has it (empty for a new run); epochs are appended.
  write_file_atomic(session.run_dir.file(run_file::metrics), metrics_text(session.epochs),
                    /*durable=*/false);
  phase_done(session, "set-up");
  return session;
}

void save_checkpoint_of(Session& session) {
  save_checkpoint(session.run_dir.file(run_file::checkpoint), session.model, *session.optimizer,
                  session.progress, metrics_text(session.epochs), session.fingerprint);
}

bool signal_here(const RunOptions& options) {
  const TestSignal& at = options.test_signal;
  return options.workers.restart_count == 0 && (at.rank < 0 || at.rank == options.workers.rank);
}

// The training loop with its hooks: the progress line, a metrics line and a log line per epoch,
// checkpoints every train.checkpoint_every epochs, SIGINT/SIGTERM stopping at the next step
// (a second one exits at once), and EMBTRAIN_PROFILE's trace.
void train_with_hooks(Session& session) {
  const Config& config = session.config;
  const Progress::Mode mode = session.options.quiet || !session.writes ? Progress::Mode::off
                              : ::isatty(STDERR_FILENO)                   ? Progress::Mode::terminal
                                                                          : Progress::Mode::log;
  Progress progress(mode, config.train.epochs, session.data.train.size(), config.train.batch_size);
  RunHealth health(config, session.data.train);
  const int64_t log_every = std::max<int64_t>(1, config.train.epochs / 10);
  TrainHooks hooks;
  const TestSignal& signal_at = session.options.test_signal;
  hooks.on_step = [&](int64_t epoch, int64_t step, int64_t steps, double loss) {
    progress.step(epoch, step, steps, loss);
    if (epoch == signal_at.epoch && step == signal_at.step && signal_here(session.options)) {
      for (int64_t i = 0; i < signal_at.times; ++i) std::raise(static_cast<int>(signal_at.signal));
    }
  };
  hooks.on_epoch = [&](const EpochRecord& record, const TrainProgress& now) {
    session.epochs.push_back(epoch_json(record, config.data.labels));
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

// Epoch `epoch`'s (1-based) metrics of each split.
json epoch_metrics(const std::vector<json>& epochs, int64_t epoch) {
  json metrics = json::object();
  if (epoch < 1 || epoch > static_cast<int64_t>(epochs.size())) return metrics;
  for (const char* split : {"train", "valid", "test"}) {
    if (epochs[static_cast<size_t>(epoch - 1)].contains(split)) metrics[split] = epochs[static_cast<size_t>(epoch - 1)][split];
  }
  return metrics;
}

// The last epoch's metrics of each split: report.json's and `train --json`'s "metrics".
json last_metrics(const std::vector<json>& epochs) {
  json metrics = json::object();
  if (epochs.empty()) return metrics;
  for (const char* split : {"train", "valid", "test"}) {
    if (epochs.back().contains(split)) metrics[split] = epochs.back()[split];
  }
  return metrics;
}

// The rows report.json covers: every word row, then the bucket rows the training data hit,
// each named by its most frequent n-grams (ngrams.h). Unhit buckets never trained: left out.
struct ReportRows {
  Vocab names;                // [K] a token or a bucket's name per kept row
  torch::Tensor rows;         // [K] int64 rows of the table
  std::vector<int64_t> kept;  // the same

  template <typename T>
  std::vector<T> gather(const std::vector<T>& per_row) const {
    std::vector<T> out;
    out.reserve(kept.size());
    for (const int64_t row : kept) out.push_back(per_row[static_cast<size_t>(row)]);
    return out;
  }
  // The same for `width` values per row ([R, width] -> [K, width]).
  std::vector<int64_t> gather_rows(const std::vector<int64_t>& per_row, size_t width) const {
    std::vector<int64_t> out;
    out.reserve(kept.size() * width);
    for (const int64_t row : kept) {
      const auto first = per_row.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(row) * width);
      out.insert(out.end(), first, first + static_cast<std::ptrdiff_t>(width));
    }
    return out;
  }
};

ReportRows bucket_report_rows(const PreparedData& data) {
  ReportRows out;
  for (int64_t id = 0; id < data.vocab.size(); ++id) {
    out.names.add(data.vocab.token(id));
    out.kept.push_back(id);
  }
  for (const int64_t row : data.bucket_names.rows()) {
    // "#row free money · <mon · …": the row keeps the name unique and unlike any token.
    const std::string name = "#" + std::to_string(row) + " " + data.bucket_names.name(row);
    if (out.names.find(name) >= 0) continue;
    out.names.add(name);
    out.kept.push_back(row);
  }
  out.rows = torch::tensor(at::ArrayRef<int64_t>(out.kept), torch::kInt64);
  return out;
}

// How the run ended: report.json's "state" and state.json.
RunState run_state_of(const Session& session) {
  const TrainProgress& progress = session.progress;
  RunState state;
  state.epochs = session.config.train.epochs;
  state.epochs_completed = static_cast<int64_t>(session.epochs.size());
  state.resumable = progress.interrupted || session.config.train.checkpoint_every > 0;
  state.extended_from = session.extended_from;
  if (progress.interrupted) {
    state.status = RunState::Status::interrupted;
    state.signal = session.signal_number;
    state.at_epoch = progress.epoch;
    state.at_step = progress.step + 1;
  } else if (progress.stopped_early) {
    state.status = RunState::Status::stopped_early;
  }
  if (progress.best_epoch > 0) {
    state.best_epoch = progress.best_epoch;
    state.best_metric = to_string(session.config.train.early_stopping);
  }
  return state;
}

// report.json's content: the weights before and after with what moved and why.
json build_run_report(const Session& session, const torch::Tensor& before, const torch::Tensor& after) {
  const auto& state = session.progress;
  const PreparedData& data = session.data;
  ReportInput input;
  std::optional<ReportRows> buckets;  // the rows kept when the table has bucket rows
  torch::Tensor kept_before = before, kept_after = after;
  if (data.rows > data.vocab.size()) {
    buckets = bucket_report_rows(data);
    kept_before = before.index_select(0, buckets->rows).contiguous();  // [K, D]
    kept_after = after.index_select(0, buckets->rows).contiguous();    // [K, D]
    input.vocab = &buckets->names;
    input.counts = buckets->gather(data.counts);
    input.positive_counts = buckets->gather(data.positive_counts);
    input.label_counts = buckets->gather_rows(data.label_counts, data.labels.size());
    input.batch_steps = buckets->gather(state.stats.batch_steps);
    input.grad_steps = buckets->gather(state.stats.grad_steps);
  } else {
    input.vocab = &data.vocab;
    input.counts = data.counts;
    input.positive_counts = data.positive_counts;
    input.label_counts = data.label_counts;
    input.batch_steps = state.stats.batch_steps;
    input.grad_steps = state.stats.grad_steps;
  }
  input.before = matrix_view(kept_before);
  input.after = matrix_view(kept_after);
  input.label_names = data.labels;
  input.total_steps = state.stats.total_steps;
  input.metrics = state.best_epoch > 0 ? epoch_metrics(session.epochs, state.best_epoch) : last_metrics(session.epochs);
  input.config = session.resolved;
  input.device = session.device.str();
  input.torch_version = TORCH_VERSION;
  input.optimizer = to_string(session.config.train.optimizer);
  input.seed = session.config.train.seed;
  json report = build_report(input, session.config.report);
  if (state.best_epoch > 0) {
    report["early_stopping"] = {{"metric", to_string(session.config.train.early_stopping)},
                                {"best_epoch", state.best_epoch},
                                {"epochs_run", static_cast<int64_t>(session.epochs.size())},
                                {"stopped_early", state.stopped_early}};
  }
  if (buckets) {
    report["buckets"] = {{"first_row", data.vocab.size()},
                         {"count", data.rows - data.vocab.size()},
                         {"rows_hit", static_cast<int64_t>(buckets->kept.size()) - data.vocab.size()}};
  }
  report["state"] = to_json(run_state_of(session));
  report["interrupted"] = state.interrupted ? json{{"signal", session.signal_number},
                                                   {"epoch", state.epoch},
                                                   {"step", state.step},
                                                   {"epochs_completed", state.epoch - 1}}
                                            : json(nullptr);
  return report;
}

// train.early_stopping: the model takes back the best epoch's parameters (after any checkpoint,
// which keeps the state training reached, so that a resume continues from there).
void keep_best_epoch(Session& session) {
  const auto& best = session.progress.best_parameters;
  if (best.empty()) return;
  torch::NoGradGuard no_grad;
  auto parameters = session.model->parameters();
  for (size_t i = 0; i < parameters.size(); ++i) parameters[i].copy_(best[i]);
  spdlog::info("early stopping on valid {}: keeping epoch {} of {} run{}", to_string(session.config.train.early_stopping),
               session.progress.best_epoch, session.epochs.size(),
               session.progress.stopped_early ? " (patience ran out)" : "");
}

// checkpoint.pt (when stopped by a signal, or asked for), model.pt and embeddings.pt on a
// second thread while the report is built, report.html, and report.json last: its presence
// means the run's files are consistent. Returns the report.
json write_artefacts(Session& session) {
  const Config& config = session.config;
  if (session.progress.interrupted) {
    spdlog::warn("interrupted by signal {} at epoch {}, step {}: writing a checkpoint and the report so far",
                 session.signal_number, session.progress.epoch, session.progress.step + 1);
  }
  // For a large vocabulary the optimizer's moments make checkpoint.pt the largest file: only
  // where an interruption stopped, or at the end of runs that asked for checkpoints.
  if (session.progress.interrupted || config.train.checkpoint_every > 0) {
    save_checkpoint_of(session);
  } else if (session.run_dir.has(run_file::checkpoint)) {
    // A checkpoint left by an earlier interruption belongs to an epoch this run has passed:
    // keeping it would let a later --resume restart from there.
    std::filesystem::remove(session.run_dir.file(run_file::checkpoint));
  }
  // The optimizer's state (two [V, D] moments) is done with: free it before the report so that
  // peak memory is training's, not training's plus the report's.
  session.optimizer.reset();
  keep_best_epoch(session);
  session.model->to(torch::kCPU);
  const torch::Tensor after = cpu_weights(session.model->embedding->weight);  // [V, D]
  const RunDir& run_dir = session.run_dir;
  const auto tensors_started = Clock::now();
  auto model_written = std::async(std::launch::async, [&] {
    write_atomically(run_dir.file(run_file::model), [&](const Sink& sink) {
      torch::serialize::OutputArchive archive;
      session.model->save(archive);
      archive.save_to(sink);
    });
  });
  // Only the rows of the training data (and the padding row) can have moved: `before` is
  // `after` with their initial values put back. Bit for bit what drawing the table again gives,
  // at the cost of a copy (the parity tests compare `before` with Python's draw).
  torch::Tensor before = after.clone();  // [V, D]
  before.index_copy_(0, session.initial_rows, session.initial_values.to(torch::kCPU));
  auto tensors_written = std::async(std::launch::async, [&] {
    // Full weights for Python: torch.load("embeddings.pt") -> {"before", "after"}, [V, D] each;
    // row i is line i of vocab.txt. (A list of V strings in the pickle cost 1.6 s for a
    // 1M-token vocabulary, more than the tensors.)
    c10::impl::GenericDict weights(c10::StringType::get(), c10::AnyType::get());
    weights.insert("before", before);
    weights.insert("after", after);
    write_for_python(run_dir.file(run_file::embeddings), weights);
    model_written.get();
    spdlog::debug("model.pt and embeddings.pt written in {:.3f} s",
                  std::chrono::duration<double>(Clock::now() - tensors_started).count());
  });
  json report;
  try {
    report = build_run_report(session, before, after);
    phase_done(session, "report");
    write_file_atomic(run_dir.file(run_file::report_html), render_html_report(report, session.epochs));
  } catch (...) {
    tensors_written.wait();  // it uses `before`, `after` and the model: let it finish first
    throw;
  }
  const std::string report_text = report.dump(1) + "\n";
  tensors_written.get();
  write_file_atomic(run_dir.file(run_file::state), report["state"].dump(1) + "\n");
  write_file_atomic(run_dir.file(run_file::report), report_text);
  phase_done(session, "writing files");
  return report;
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
                                      &torch_version,               &embtrain::describe_tokens};
}  // namespace

extern "C" int embtrain_torch_backend_version() { return embtrain::kTorchBackendVersion; }
extern "C" const embtrain::TorchBackend* embtrain_torch_backend() { return &kBackend; }
