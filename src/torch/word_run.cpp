// word_run.cpp — a word run's report and the files it leaves (word_run.h).
#include <fmt/format.h>
#include <torch/version.h>

#include "embtrain/text/html_report.h"
#include "embtrain/text/io.h"
#include "embtrain/text/report.h"
#include "embtrain/text/run_state.h"
#include "embtrain/torch/embeddings_file.h"
#include "embtrain/torch/matrix_view.h"
#include "embtrain/torch/python_file.h"
#include "embtrain/torch/word_run.h"

namespace embtrain {

using nlohmann::json;

// The classification report's sections over the input vectors, with each row's uses.
json word_report(const WordRun& run, const torch::Tensor& before, const torch::Tensor& after) {
  const Config& config = run.config;
  const bool cbow = config.model.objective == Objective::cbow;
  ReportInput input;
  input.vocab = &run.corpus.vocab;
  input.counts = run.corpus.counts;
  input.positive_counts.assign(run.corpus.counts.size(), 0);
  input.before = matrix_view(before);
  input.after = matrix_view(after);
  // A word's own row (subword buckets are shared between words and not in the report).
  input.batch_steps.assign(run.use.input.begin(), run.use.input.begin() + run.corpus.vocab.size());
  input.grad_steps = input.batch_steps;
  input.total_steps = run.steps;
  // The metrics of the epoch whose tables the run keeps: the best one with early stopping.
  const json* kept = run.epochs.empty() ? nullptr
                     : run.best.epoch > 0 ? &run.epochs[static_cast<size_t>(run.best.epoch - 1)]
                                          : &run.epochs.back();
  input.metrics = kept ? json{{"train", (*kept)["train"]}} : json::object();
  if (kept && kept->contains("valid")) input.metrics["valid"] = (*kept)["valid"];
  input.config = to_json(with_absolute_paths(config));
  input.device = run.device.str();
  input.torch_version = TORCH_VERSION;
  input.optimizer = to_string(config.train.optimizer);
  input.seed = config.train.seed;
  json report = build_report(input, config.report);
  for (auto& token : report["tokens"]) {
    const auto row = static_cast<size_t>(token["index"].get<int64_t>());
    const int64_t as_input = run.use.input[row], as_target = run.use.target[row], as_negative = run.use.negative[row];
    token["as_input"] = as_input;
    token["as_target"] = as_target;
    token["as_negative"] = as_negative;
    token.erase("positive_count");
    const char* input_role = cbow ? "a context word" : "a centre word";
    const char* target_role = cbow ? "a centre word" : "a context word";
    const std::string shared = run.rows.subwords ? "; with subwords its vector, the mean of its rows, also moved with the "
                                                   "character n-grams it shares with the words trained"
                                                 : "";
    token["why"] = (as_input > 0
                       ? fmt::format("its input vector moved as {} {} times (its output vector was also {} {} "
                                     "times and a negative sample {} times)",
                                     input_role, as_input, target_role, as_target, as_negative)
                       : fmt::format("never {} after subsampling: its {} is its initial draw (its output "
                                     "vector was {} {} times and a negative sample {} times)",
                                     input_role, run.rows.subwords ? "own row" : "input vector", target_role,
                                     as_target, as_negative)) +
                   shared;
  }
  report["objective"] = to_string(config.model.objective);
  if (run.best.epoch > 0) {
    report["early_stopping"] = {{"metric", "spearman"},
                                {"best_epoch", run.best.epoch},
                                {"epochs_run", static_cast<int64_t>(run.epochs.size())},
                                {"stopped_early", run.best.stopped_early}};
  }
  RunState state;
  state.epochs = config.train.epochs;
  state.epochs_completed = static_cast<int64_t>(run.epochs.size());
  state.extended_from = run.extended_from;
  if (run.signal != 0) {
    state.status = RunState::Status::interrupted;
    state.signal = run.signal;
    state.at_epoch = run.stopped_epoch;
    state.at_step = run.stopped_step;
    state.resumable = run.checkpointed;
  } else if (run.best.stopped_early) {
    state.status = RunState::Status::stopped_early;
  } else {
    state.resumable = config.train.checkpoint_every > 0;  // its final checkpoint extends it
  }
  if (run.best.epoch > 0) {
    state.best_epoch = run.best.epoch;
    state.best_metric = "spearman";
  }
  report["state"] = to_json(state);
  report["interrupted"] = nullptr;
  return report;
}

void write_word_artefacts(WordRun& run, const torch::Tensor& initial) {
  const RunDir& dir = run.run_dir;
  run.model->to(torch::kCPU);  // model.pt loads anywhere, as the classifier's does
  write_atomically(dir.file(run_file::model), [&](const Sink& sink) {
    torch::serialize::OutputArchive archive;
    run.model->save(archive);
    archive.save_to(sink);
  });
  const auto rows = torch::arange(run.corpus.vocab.size(), torch::kInt64);
  const torch::Tensor after = word_vectors(run.model->embedding->weight, run.rows);  // [V, D]
  // With subwords model.pt's rows are not the word vectors: embeddings.pt holds them after too.
  write_for_python(dir.file(run_file::embeddings),
                   embeddings_file(rows, initial, run.rows.subwords ? after : torch::Tensor()));
  const json report = word_report(run, initial, after);
  write_file_atomic(dir.file(run_file::report_html), render_html_report(report, run.epochs));
  write_file_atomic(dir.file(run_file::state), report["state"].dump(1) + "\n");
  write_file_atomic(dir.file(run_file::report), report.dump(1) + "\n");
}

}  // namespace embtrain
