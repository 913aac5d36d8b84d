// word_run.h — one word run's state while it trains (word_objective.cpp) and the files it
// leaves (word_run.cpp): internal to the word objective, not an interface.
//
// Thread-safety: the training thread only.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "embtrain/run.h"
#include "embtrain/text/config.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/text/word_corpus.h"
#include "embtrain/torch/distributed.h"
#include "embtrain/torch/progress.h"
#include "embtrain/torch/word_batch.h"
#include "embtrain/torch/word_step.h"

namespace embtrain {

// Per row: how often it was a centre's input, a target, a negative sample (report.json's why).
struct RowUse {
  std::vector<int64_t> input, target, negative;
};

// A run: what it trains on, its model and generator, and what it has done so far.
struct WordRun {
  WordRun(const Config& c, const RunOptions& o, const WordCorpus& w, RunDir dir)
      : config(c), options(o), corpus(w), run_dir(std::move(dir)) {}
  const Config& config;
  const RunOptions& options;
  const WordCorpus& corpus;
  RunDir run_dir;
  // The tables' device: the CPU (its kernels) unless train.device names CUDA (aten_batch_loss).
  torch::Device device{torch::kCPU};
  WordModel model{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  torch::Generator generator = at::detail::createCPUGenerator();
  WordRows rows;  // each word's rows of the input table
  RowUse use;     // input [R], target and negative [V]
  std::vector<double> keep;  // [V] subsampling's keep probabilities
  std::unique_ptr<NegativeSampler> negatives;
  EpochPlan plan;  // the epoch's centres; drawn again each epoch into the same buffers
  std::vector<nlohmann::json> epochs;  // metrics.jsonl's lines so far
  int64_t steps = 0, signal = 0, stopped_epoch = 0, stopped_step = 0;
  std::string fingerprint;    // what a checkpoint of this run belongs to (text/fingerprint.h)
  bool checkpointed = false;  // a checkpoint.pt was written at the interruption
  bool warned_idle = false;   // an epoch without a pair has been warned about
  Progress progress{Progress::Mode::off, 0, 0};  // the line while an epoch runs (centre words/s)
  int64_t extended_from = 0;  // --resume of a finished run: the epochs it had
  // --nproc / torchrun: each worker trains its slice of every batch; rank 0 alone writes.
  std::unique_ptr<Workers> workers;
  bool stop_agreed = false;  // some worker asked to stop during the last step
  bool writes() const { return !workers || workers->rank() == 0; }
  // train.early_stopping = spearman: the best epoch so far and both tables as they were then.
  struct Best {
    int64_t epoch = 0, epochs_since = 0;
    double spearman = 0;
    std::vector<torch::Tensor> parameters;
    bool stopped_early = false;
  } best;
};

// report.json over the input vectors [V, D] before and after, with each row's use as a centre
// (input), a target and a negative sample.
nlohmann::json word_report(const WordRun& run, const torch::Tensor& before, const torch::Tensor& after);

// model.pt, embeddings.pt (`initial` [V, D] and, with subwords, the word vectors after),
// report.json, report.html and state.json.
void write_word_artefacts(WordRun& run, const torch::Tensor& initial);

}  // namespace embtrain
