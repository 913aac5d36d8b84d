// artefacts.cpp — the report's rows and state, the tensors, and the order they are written in.
#include "embtrain/torch/artefacts.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <optional>

#include "embtrain/text/config.h"
#include "embtrain/text/html_report.h"
#include "embtrain/text/io.h"
#include "embtrain/text/ngrams.h"
#include "embtrain/text/report.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/text/run_state.h"
#include "embtrain/text/vocab.h"
#include "embtrain/torch/embeddings_file.h"
#include "embtrain/torch/matrix_view.h"
#include "embtrain/torch/python_file.h"

namespace embtrain {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

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
json build_run_report(const Session& session, const torch::Tensor& moved_before, const torch::Tensor& after) {
  const auto& state = session.progress;
  const PreparedData& data = session.data;
  ReportInput input;
  std::optional<ReportRows> buckets;  // the rows kept when the table has bucket rows
  // before [V, D]: `after` with the movable rows' initial values over it (no copy of the table).
  const std::vector<int64_t> movable = int64_values(session.initial_rows);
  std::vector<int32_t> slot(static_cast<size_t>(after.size(0)), -1);
  for (size_t i = 0; i < movable.size(); ++i) slot[static_cast<size_t>(movable[i])] = static_cast<int32_t>(i);
  Matrix before = matrix_view(after);
  before.overlay = moved_before.data_ptr<float>();
  before.slot = slot.data();
  torch::Tensor kept_before_rows, kept_after = after;
  std::vector<int64_t> kept_movable;  // the movable rows, as indices of the kept rows
  if (data.rows > data.vocab.size()) {
    buckets = bucket_report_rows(data);
    kept_before_rows = torch::empty({static_cast<int64_t>(buckets->kept.size()), after.size(1)});  // [K, D]
    for (size_t k = 0; k < buckets->kept.size(); ++k) {
      std::memcpy(kept_before_rows[static_cast<int64_t>(k)].data_ptr<float>(), before.row(buckets->kept[k]),
                  sizeof(float) * static_cast<size_t>(after.size(1)));
      if (slot[static_cast<size_t>(buckets->kept[k])] >= 0) kept_movable.push_back(static_cast<int64_t>(k));
    }
    before = matrix_view(kept_before_rows);
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
  input.before = before;
  input.after = matrix_view(kept_after);
  input.movable = buckets ? &kept_movable : &movable;
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

}  // namespace

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
  // Only the rows of the training data (and the padding row) can have moved: embeddings.pt
  // holds those rows' initial values, and `after` is model.pt's table (format in embeddings_file.h).
  const torch::Tensor moved_before = session.initial_values.to(torch::kCPU).contiguous();  // [M, D]
  auto tensors_written = std::async(std::launch::async, [&] {
    write_for_python(run_dir.file(run_file::embeddings), embeddings_file(session.initial_rows, moved_before));
    model_written.get();
    spdlog::debug("model.pt and embeddings.pt written in {:.3f} s",
                  std::chrono::duration<double>(Clock::now() - tensors_started).count());
  });
  json report;
  try {
    report = build_run_report(session, moved_before, after);
    phase_done(session, "report");
    write_file_atomic(run_dir.file(run_file::report_html), render_html_report(report, session.epochs));
  } catch (...) {
    tensors_written.wait();  // it uses `moved_before` and the model: let it finish first
    throw;
  }
  const std::string report_text = report.dump(1) + "\n";
  tensors_written.get();
  write_file_atomic(run_dir.file(run_file::state), report["state"].dump(1) + "\n");
  write_file_atomic(run_dir.file(run_file::report), report_text);
  phase_done(session, "writing files");
  return report;
}

}  // namespace embtrain
