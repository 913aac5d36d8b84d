// trainer.h — the training loop and evaluation, as free functions.
//
// Batches are slices of a Corpus in epoch order (file order, or a permutation
// drawn each epoch from a CPU generator seeded with train.seed, separate from
// the global generator that initialised the model). Each step: forward, mean
// BCE over the batch, backward, optimizer step; the loss is checked for NaN/Inf.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <vector>

#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/metrics.h"
#include "embtrain/torch/batches.h"
#include "embtrain/torch/distributed.h"
#include "embtrain/torch/model.h"

namespace embtrain {

struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  Metrics train;      // running metrics over the epoch's steps
  std::optional<Metrics> valid, test;
  double seconds = 0;
};

struct TrainStats {
  std::vector<int64_t> batch_steps;  // [V] steps whose batch held the token
  std::vector<int64_t> grad_steps;   // [V] steps that gave its row a non-zero gradient
  int64_t total_steps = 0;
  torch::Tensor device_grad_steps;  // [V] int64 on a non-CPU device, merged each epoch

  void merge_device_grad_steps() {
    if (!device_grad_steps.defined()) return;
    const auto counts = device_grad_steps.to(torch::kCPU);
    const auto* c = counts.data_ptr<int64_t>();
    for (size_t r = 0; r < grad_steps.size(); ++r) grad_steps[r] += c[r];
    device_grad_steps.zero_();
  }
};

// Where a run stands: everything needed to continue it exactly as if it had
// never stopped. Checkpoints hold this (checkpoint.h).
struct TrainProgress {
  int64_t epoch = 1;            // the epoch in progress, 1-based
  int64_t step = 0;             // its next step
  bool order_drawn = false;     // `order` is this epoch's order already
  std::vector<int64_t> order;   // [N] this epoch's sentence order
  Tally tally;            // this epoch's running train metrics so far
  torch::Tensor shuffle_state;  // the shuffle generator's state after drawing `order`
  TrainStats stats;
  bool interrupted = false;     // train() returned because stop_requested() said so
  // train.early_stopping: the best epoch so far (0: none yet), its valid metric, the epochs
  // since, and its parameters (model->parameters() order); stopped_early once patience ran out.
  int64_t best_epoch = 0;
  double best_value = 0;
  int64_t epochs_since_best = 0;
  std::vector<torch::Tensor> best_parameters;
  bool stopped_early = false;
};

struct TrainHooks {
  // After each epoch; `progress` already points at the next epoch.
  std::function<void(const EpochRecord&, const TrainProgress&)> on_epoch;
  // After each step: epoch (1-based), step within the epoch, steps per epoch, batch loss.
  std::function<void(int64_t, int64_t, int64_t, double)> on_step;
  // Checked before each step; true stops training at a step boundary.
  std::function<bool()> stop_requested;
};

// Trains from `progress` (fresh, or loaded from a checkpoint) to the last
// epoch, or until hooks.stop_requested(), or until train.early_stopping's patience runs out.
// With `workers` (a data-parallel run, distributed.h) each worker trains on its slice of every
// global batch and the gradients are summed across workers before each optimizer step; a stop
// asked for on any worker stops all of them at the same step. progress.tally is this worker's
// share during an epoch and the sum over all workers once the epoch ends or training stops.
void train(Classifier& model, torch::optim::Optimizer& optimizer, const Corpus& train_data,
           const Corpus* valid, const Corpus* test, const Config& config, torch::Device device,
           const TrainHooks& hooks, TrainProgress& progress, Workers* workers = nullptr);

// With `workers`, each evaluates its shard and the tallies are summed.
Metrics evaluate(Classifier& model, const Corpus& data, const ModelConfig& config,
                 torch::Device device, Workers* workers = nullptr);
// The counts and BCE sum behind evaluate(), and each sentence's probability [N] when asked
// (for a ROC curve): the one evaluation of a model on data, for train and `embtrain eval`.
Tally evaluate_tally(Classifier& model, const Corpus& data, const ModelConfig& config,
                     torch::Device device, std::vector<float>* probabilities = nullptr);
// The same over sentences [begin, end) only (probabilities, when asked, are indexed from 0 at begin).
Tally evaluate_range(Classifier& model, const Corpus& data, const ModelConfig& config, torch::Device device,
                     int64_t begin, int64_t end, std::vector<float>* probabilities = nullptr);

// The factor train.lr is multiplied by at step `step` (0-based, counted over the whole run of
// `total` steps): train.warmup_steps of linear warmup, then train.lr_schedule (config.cpp's key
// table states the formulas). Python's LambdaLR with this function gives the same lr.
double lr_factor(const TrainConfig& config, int64_t step, int64_t total);
// Every parameter group's lr (the schedule's value at a step).
void set_lr(torch::optim::Optimizer& optimizer, double lr);

// "auto" -> CUDA when available, else CPU; "cuda" without CUDA is an Error naming why.
torch::Device resolve_device(const std::string& name);

}  // namespace embtrain
