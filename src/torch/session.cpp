// session.cpp — set_up and the checks a resume makes; what every phase of a run shares.
#include "embtrain/torch/session.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"
#include "embtrain/text/fingerprint.h"
#include "embtrain/text/io.h"
#include "embtrain/text/prepare.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/text/run_health.h"
#include "embtrain/text/signals.h"
#include "embtrain/text/vectors.h"
#include "embtrain/text/vocab.h"
#include "embtrain/torch/checkpoint.h"
#include "embtrain/torch/distributed.h"
#include "embtrain/torch/model.h"
#include "embtrain/torch/optimizer.h"
#include "embtrain/torch/threads.h"
#include "embtrain/torch/trainer.h"

namespace embtrain {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// VmHWM from /proc/self/status: the process's peak resident set so far.
int64_t peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) / 1024;
  }
  return -1;
}

}  // namespace

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

namespace {

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
  session.extended_from =
      session.run_dir.extends_finished_run(session.progress.epoch, session.progress.step, config.train.epochs);
  std::istringstream stream(lines);
  for (std::string line; std::getline(stream, line);) session.epochs.push_back(json::parse(line));
  if (session.extended_from == 0) {
    spdlog::info("resuming at epoch {} of {}, step {}", session.progress.epoch, config.train.epochs,
                 session.progress.step + 1);
  }
}

// A data-parallel run: every worker joins the group once it has its data and model, and they
// compare what they train (the fingerprint, the epochs, where a resume starts) before the
// first step. A worker other than rank 0 writes nothing, and its share of the epoch's tally
// starts at zero (a checkpoint holds the sum, which rank 0 carries).
void join_session_workers(Session& session) {
  const WorkerSetup& setup = session.options.workers;
  const TrainConfig& train = session.config.train;
  // set_up hashed the data once already
  session.workers = join_workers(
      setup, fingerprint_from_text(session.fingerprint), train,
      session.options.resume ? fmt::format("epoch {}, step {}", session.progress.epoch, session.progress.step + 1) : "");
  session.writes = setup.writes();
  if (!session.writes) session.progress.tally = {};
  spdlog::info("rank {} of {} workers: each step trains on its slice of the global batch of {}",
               setup.rank, setup.world_size, train.batch_size);
}

}  // namespace

// Threads, device, the model (from pretrained vectors if asked) and its optimizer; config.json
// and vocab.txt first, so that an interrupted run can resume; then the checkpoint of a resume.
Session set_up(const Config& config, const RunOptions& options, PreparedData& data) {
  use_threads(config.train.threads, options.test_split_always);
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
  if (options.workers.distributed()) join_session_workers(session);
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

}  // namespace embtrain
