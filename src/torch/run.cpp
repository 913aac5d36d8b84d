// run.cpp — run_training: the `embtrain train` pipeline and what it writes.
#include "embtrain/run.h"

#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/profiler_kineto.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <csignal>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <future>
#include <iostream>

#include "embtrain/backend.h"
#include "embtrain/torch/checkpoint.h"
#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"
#include "embtrain/text/html_report.h"
#include "embtrain/text/io.h"
#include "embtrain/torch/model.h"
#include "embtrain/torch/optimizer.h"
#include "embtrain/text/prepare.h"
#include "embtrain/torch/python_file.h"
#include "embtrain/saved_run.h"
#include "embtrain/text/report.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/torch/trainer.h"
#include "embtrain/text/vectors.h"
#include "embtrain/text/vocab.h"

namespace embtrain {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A one-line progress display on a terminal; silent otherwise.
class Progress {
 public:
  Progress(bool enabled, int64_t epochs, int64_t examples, int64_t batch_size)
      : enabled_(enabled), epochs_(epochs), examples_(examples), batch_size_(batch_size) {}

  void step(int64_t epoch, int64_t step, int64_t steps, double loss) {
    if (!enabled_) return;
    const auto now = Clock::now();
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
  bool enabled_;
  int64_t epochs_, examples_, batch_size_;
  Clock::time_point start_ = Clock::now(), last_{};
  bool shown_ = false;
};

// [V, D] float32 on the CPU, contiguous: what Matrix views and pickle_save writes.
torch::Tensor cpu_weights(const torch::Tensor& weights) {
  return weights.detach().to(torch::kCPU, torch::kFloat32).contiguous();
}

Matrix view(const torch::Tensor& cpu) { return {cpu.size(0), cpu.size(1), cpu.data_ptr<float>()}; }

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

// The config as a run folder keeps it: paths made absolute, so that
// `--resume` and later commands find the data from any working directory.
json resolved_config(const Config& config) {
  json resolved = to_json(config);
  for (auto [section, key] : {std::pair{"data", "train"}, {"data", "valid"}, {"data", "test"},
                              {"vocab", "file"}, {"model", "pretrained"}}) {
    auto& value = resolved[section][key];
    if (!value.get<std::string>().empty()) {
      value = std::filesystem::absolute(value.get<std::string>()).lexically_normal().string();
    }
  }
  return resolved;
}

// Catches SIGINT and SIGTERM while it lives. The first sets received(); a
// second exits at once (files are only ever renamed into place, so none is
// left half-written).
class SignalGuard {
 public:
  SignalGuard() {
    received_ = 0;
    struct sigaction action {};
    action.sa_handler = &SignalGuard::handle;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  ~SignalGuard() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;
  static int received() { return received_; }

 private:
  static void handle(int signal_number) {
    if (received_ != 0) ::_exit(128 + signal_number);
    received_ = signal_number;
  }
  static inline volatile std::sig_atomic_t received_ = 0;
  struct sigaction old_int_ {}, old_term_ {};
};

// VmHWM from /proc/self/status: the process's peak resident set so far.
int64_t peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) / 1024;
  }
  return -1;
}

json epoch_json(const EpochRecord& record) {
  json line = {{"epoch", record.epoch}, {"seconds", record.seconds}, {"train", to_json(record.train)}};
  if (record.valid) line["valid"] = to_json(*record.valid);
  if (record.test) line["test"] = to_json(*record.test);
  return line;
}

}  // namespace

int run_training(const Config& config, const RunOptions& options, PreparedData& data) {
  const auto started = Clock::now();
  const RunDir run_dir = RunDir::at(options.output_dir);
  if (config.train.threads > 0) at::set_num_threads(static_cast<int>(config.train.threads));
  const torch::Device device = resolve_device(config.train.device);
  const Vocab& vocab = data.vocab;
  const Corpus& train_data = data.train;
  const auto& valid = data.valid;
  const auto& test = data.test;
  spdlog::info("{} training examples, {} tokens, vocabulary of {}, device {}", train_data.size(),
               train_data.ids.size(), vocab.size(), device.str());
  auto phase_done = [last = started](const char* phase) mutable {
    const auto now = Clock::now();
    spdlog::debug("{}: {:.3f} s, peak RSS so far {} MiB", phase,
                  std::chrono::duration<double>(now - last).count(), peak_rss_mib());
    last = now;
  };
  phase_done("device");

  std::optional<WordVectors> pretrained;
  if (!config.model.pretrained.empty()) pretrained = read_vec(config.model.pretrained);
  int64_t missing = 0;
  Classifier model = create_model(config, vocab, pretrained ? &*pretrained : nullptr, &missing);
  if (pretrained) {
    spdlog::info("{}: vectors for {} of {} vocabulary tokens ({} not found, left at their random "
                 "initialisation)", config.model.pretrained, vocab.size() - missing, vocab.size(), missing);
  }
  model->to(device);
  auto optimizer = make_optimizer(model, config.train);

  // The run's description first, so that an interrupted or crashed run can be resumed.
  const json resolved = resolved_config(config);
  write_file_atomic(run_dir.file(run_file::config), resolved.dump(2) + "\n");
  write_file_atomic(run_dir.file(run_file::vocab), vocab.to_text());

  TrainProgress state;
  std::string metrics_lines;
  const std::string checkpoint = run_dir.file(run_file::checkpoint);
  if (options.resume) {
    load_checkpoint(checkpoint, model, *optimizer, state, metrics_lines);
    if (state.epoch > config.train.epochs) {
      throw Error::usage("the run in '" + options.output_dir + "' has already finished all " +
                         std::to_string(config.train.epochs) + " epochs");
    }
    spdlog::info("resuming at epoch {}, step {}", state.epoch, state.step + 1);
  }

  Progress progress(::isatty(STDERR_FILENO) && !options.quiet, config.train.epochs,
                    train_data.size(), config.train.batch_size);
  const int64_t log_every = std::max<int64_t>(1, config.train.epochs / 10);
  TrainHooks hooks;
  hooks.on_step = [&](int64_t epoch, int64_t step, int64_t steps, double loss) {
    progress.step(epoch, step, steps, loss);
  };
  hooks.on_epoch = [&](const EpochRecord& record, const TrainProgress& now) {
    metrics_lines += epoch_json(record).dump() + "\n";
    write_file_atomic(run_dir.file(run_file::metrics), metrics_lines, /*durable=*/false);
    const int64_t every = config.train.checkpoint_every;
    if (every > 0 && record.epoch % every == 0 && record.epoch < config.train.epochs) {
      save_checkpoint(checkpoint, model, *optimizer, now, metrics_lines);
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
  // SIGINT/SIGTERM stop training at the next step boundary; a second one exits at once.
  const SignalGuard signals;
  hooks.stop_requested = [] { return SignalGuard::received() != 0; };
  std::unique_ptr<ChromeTrace> profile;
  if (const char* trace = std::getenv("EMBTRAIN_PROFILE")) profile = std::make_unique<ChromeTrace>(trace);
  try {
    train(model, *optimizer, train_data, valid ? &*valid : nullptr, test ? &*test : nullptr, config,
          device, hooks, state);
  } catch (...) {
    progress.clear();
    throw;
  }
  progress.clear();
  profile.reset();
  phase_done("training");
  const int signal_number = SignalGuard::received();
  if (state.interrupted) {
    spdlog::warn("interrupted by signal {} at epoch {}, step {}: writing a checkpoint and the report so far",
                 signal_number, state.epoch, state.step + 1);
  }
  // Checkpoint where an interruption stopped, and at the end of runs that asked
  // for checkpoints (train.checkpoint_every > 0): for a large vocabulary the
  // optimizer's moments make it the largest file of the run.
  if (state.interrupted || config.train.checkpoint_every > 0) {
    save_checkpoint(checkpoint, model, *optimizer, state, metrics_lines);
  }

  // The optimizer's state (two [V, D] moments) is done with: free it before the
  // report so that peak memory is training's, not training's plus the report's.
  optimizer.reset();
  model->to(torch::kCPU);
  const torch::Tensor after = cpu_weights(model->embedding->weight);  // [V, D]
  // The initial weights are drawn again rather than kept through training: the
  // same seed and the same draws give the same bits, and training's peak memory
  // is one [V, D] matrix smaller.
  const torch::Tensor before =
      cpu_weights(create_model(config, vocab, pretrained ? &*pretrained : nullptr)->embedding->weight);

  // Files, each written whole (temp + rename). The tensor files are written on
  // another thread while the report is built.
  auto tensors_written = std::async(std::launch::async, [&] {
    const auto tensors_started = Clock::now();
    write_atomically(run_dir.file(run_file::model), [&](const Sink& sink) {
      torch::serialize::OutputArchive archive;
      model->save(archive);
      archive.save_to(sink);
    });
    // Full weights for Python: torch.load("embeddings.pt") -> {"before", "after"},
    // [V, D] each; row i is line i of vocab.txt. (A list of V strings in the
    // pickle cost 1.6 s for a 1M-token vocabulary, more than the tensors.)
    c10::impl::GenericDict weights(c10::StringType::get(), c10::AnyType::get());
    weights.insert("before", before);
    weights.insert("after", after);
    write_for_python(run_dir.file(run_file::embeddings), weights);
    spdlog::debug("model.pt and embeddings.pt written in {:.3f} s",
                  std::chrono::duration<double>(Clock::now() - tensors_started).count());
  });
  std::vector<json> epochs;
  std::istringstream lines(metrics_lines);
  for (std::string line; std::getline(lines, line);) epochs.push_back(json::parse(line));
  json metrics = json::object();
  if (!epochs.empty()) {
    for (const char* split : {"train", "valid", "test"}) {
      if (epochs.back().contains(split)) metrics[split] = epochs.back()[split];
    }
  }
  ReportInput input;
  input.vocab = &vocab;
  input.counts = data.counts;
  input.positive_counts = data.positive_counts;
  input.before = view(before);
  input.after = view(after);
  input.batch_steps = state.stats.batch_steps;
  input.grad_steps = state.stats.grad_steps;
  input.total_steps = state.stats.total_steps;
  input.metrics = metrics;
  input.config = resolved;
  input.device = device.str();
  input.torch_version = TORCH_VERSION;
  input.optimizer = config.train.optimizer;
  input.seed = config.train.seed;
  json report = build_report(input, config.report);
  report["interrupted"] = state.interrupted ? json{{"signal", signal_number},
                                                   {"epoch", state.epoch},
                                                   {"step", state.step},
                                                   {"epochs_completed", state.epoch - 1}}
                                            : json(nullptr);
  phase_done("report");

  write_file_atomic(run_dir.file(run_file::report_html), render_html_report(report, epochs));
  const std::string report_text = report.dump(1) + "\n";
  tensors_written.get();
  // report.json last: its presence means the run's files are consistent.
  write_file_atomic(run_dir.file(run_file::report), report_text);
  phase_done("writing files");

  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const auto& summary = report.at("summary");
  spdlog::info("{} in {:.2f} s: {} of {} embedding rows changed; largest change '{}' ({:.4f})",
               state.interrupted ? "stopped" : "done", seconds,
               summary.at("rows_changed").get<int64_t>(), vocab.size(),
               summary.at("largest_change").at("token").get<std::string>(),
               summary.at("largest_change").at("change_norm").get<double>());
  spdlog::info("report: {} (and report.html to open in a browser)", run_dir.file(run_file::report));
  if (state.interrupted) {
    spdlog::info("continue with: embtrain train --resume {}", options.output_dir);
  }
  if (options.json) {
    json out = {{"output_dir", options.output_dir},
                {"report", run_dir.file(run_file::report)},
                {"seconds", seconds},
                {"examples", train_data.size()},
                {"vocab_size", vocab.size()},
                {"rows_changed", summary.at("rows_changed")},
                {"interrupted", state.interrupted},
                {"metrics", metrics}};
    std::cout << out.dump() << std::endl;
  }
  return state.interrupted ? 128 + signal_number : 0;
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
                                      &torch_version};
}  // namespace

extern "C" const embtrain::TorchBackend* embtrain_torch_backend() { return &kBackend; }
