// trainer.cpp — batching, the step loop, evaluation, device choice.
#include "embtrain/torch/trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <numeric>

#include "embtrain/text/error.h"
#include "embtrain/text/threads.h"
#include "embtrain/torch/row_steps.h"

namespace embtrain {
namespace F = torch::nn::functional;

torch::Device resolve_device(const std::string& name) {
  const bool available = torch::cuda::is_available();
  if (name == "auto") return available ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (!available) {
    throw Error::usage("train.device is '" + name +
                       "' but CUDA is not available: " +
                       (torch::hasCUDA() ? "no CUDA GPU is visible"
                                         : "this LibTorch build is CPU-only") +
                       " (use train.device=cpu or auto)");
  }
  torch::Device device(name);
  if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count())) {
    throw Error::usage("train.device is '" + name + "' but only " +
                       std::to_string(torch::cuda::device_count()) + " CUDA device(s) are visible");
  }
  return device;
}

double lr_factor(const TrainConfig& config, int64_t step, int64_t total) {
  const int64_t warmup = config.warmup_steps;
  if (step < warmup) return static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (config.lr_schedule == LrSchedule::constant || total <= warmup) return 1.0;
  const double progress = static_cast<double>(step - warmup) / static_cast<double>(total - warmup);
  if (config.lr_schedule == LrSchedule::linear) return 1.0 - progress;
  return 0.5 * (1.0 + std::cos(M_PI * progress));  // cosine
}

void set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

namespace {

// The early-stopping metric of a valid split's metrics, as "higher is better".
double stopping_score(EarlyStopping metric, const Metrics& valid) {
  switch (metric) {
    case EarlyStopping::loss: return -valid.loss;
    case EarlyStopping::accuracy: return valid.accuracy;
    case EarlyStopping::f1: return valid.f1;
    case EarlyStopping::spearman:  // word objectives only (config.cpp refuses it here)
    case EarlyStopping::off: break;
  }
  return 0;
}

// After an epoch: keeps the parameters of the best epoch so far, and says when patience is out.
void track_best(Classifier& model, const TrainConfig& config, const EpochRecord& record, TrainProgress& progress) {
  if (config.early_stopping == EarlyStopping::off || !record.valid) return;
  const double score = stopping_score(config.early_stopping, *record.valid);
  if (progress.best_epoch == 0 || score > progress.best_value) {
    torch::NoGradGuard no_grad;
    progress.best_epoch = record.epoch;
    progress.best_value = score;
    progress.epochs_since_best = 0;
    progress.best_parameters.clear();
    for (const auto& parameter : model->parameters()) progress.best_parameters.push_back(parameter.detach().clone());
    return;
  }
  progress.stopped_early = ++progress.epochs_since_best >= config.patience;
}

// Running train metrics kept on the model's device, so that a CUDA step copies
// nothing back to the host; read once per epoch.
struct DeviceTally {
  torch::Tensor loss_sum, true_pos, false_pos, true_neg, false_neg;  // 0-dim

  explicit DeviceTally(torch::Device device) {
    loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
    for (auto* t : {&true_pos, &false_pos, &true_neg, &false_neg}) {
      *t = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
    }
  }
  void add(const torch::Tensor& probs, const torch::Tensor& labels, const torch::Tensor& loss,
           int64_t count) {
    loss_sum += loss.detach().to(torch::kFloat64) * static_cast<double>(count);
    const auto predicted = probs.detach() > 0.5;
    const auto actual = labels > 0.5;
    true_pos += (predicted & actual).sum();
    false_pos += (predicted & ~actual).sum();
    true_neg += (~predicted & ~actual).sum();
    false_neg += (~predicted & actual).sum();
  }
  Tally read() const {
    Tally tally;
    tally.loss_sum = loss_sum.item<double>();
    tally.true_pos = true_pos.item<int64_t>();
    tally.false_pos = false_pos.item<int64_t>();
    tally.true_neg = true_neg.item<int64_t>();
    tally.false_neg = false_neg.item<int64_t>();
    return tally;
  }
};

}  // namespace

Metrics evaluate(Classifier& model, const Corpus& data, const ModelConfig& config,
                 torch::Device device, Workers* workers) {
  if (!workers) return summarize(evaluate_tally(model, data, config, device));
  const auto [begin, end] = workers->slice(data.size());
  Tally tally = evaluate_range(model, data, config, device, begin, end);
  workers->sum(tally, data.multi_label() ? static_cast<size_t>(model->linear_1->weight.size(0)) : 0,
               "while evaluating");
  return summarize(tally);
}

Tally evaluate_tally(Classifier& model, const Corpus& data, const ModelConfig& config,
                     torch::Device device, std::vector<float>* probabilities) {
  return evaluate_range(model, data, config, device, 0, data.size(), probabilities);
}

namespace {

// One evaluation batch's tally (its BCE sum and counts) and, when asked, its probabilities
// written at their place in `probabilities` (indexed from `begin`).
Tally evaluate_batch(Classifier& model, const Corpus& data, const ModelConfig& config, torch::Device device,
                     const int64_t* indices, int64_t count, int64_t outputs, float* probabilities) {
  torch::NoGradGuard no_grad;  // per thread: the guard is thread-local
  const Batch batch = make_batch(data, indices, count, config, device, outputs);
  const auto probs = model->forward(batch);  // [B] or [B, C]
  auto losses = F::binary_cross_entropy(probs, batch.labels,
                                        F::BinaryCrossEntropyFuncOptions().reduction(torch::kNone));
  if (losses.dim() == 2) losses = losses.mean(1);  // per example: the mean over its outputs
  Tally tally;
  tally.loss_sum = losses.sum().item<double>();
  const auto p = probs.to(torch::kCPU).contiguous();  // one copy from the device, for both
  tally_batch(tally, p, data, indices, count);
  if (probabilities && p.dim() == 1) std::copy_n(p.data_ptr<float>(), count, probabilities);
  return tally;
}

}  // namespace

// Batches of kEvalBatch sentences, each evaluated whole by one thread of the pool (on the CPU);
// their tallies are summed in batch order, so the loss is the same double for any thread count.
Tally evaluate_range(Classifier& model, const Corpus& data, const ModelConfig& config, torch::Device device,
                     int64_t begin, int64_t end, std::vector<float>* probabilities) {
  torch::NoGradGuard no_grad;
  if (probabilities) probabilities->resize(static_cast<size_t>(end - begin));
  model->eval();
  const int64_t outputs = model->linear_1->weight.size(0);
  constexpr int64_t kEvalBatch = 1024;
  std::vector<int64_t> order(static_cast<size_t>(end - begin));
  std::iota(order.begin(), order.end(), begin);
  const int64_t batches = (end - begin + kEvalBatch - 1) / kEvalBatch;
  std::vector<Tally> tallies(static_cast<size_t>(batches));
  const auto batches_from = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t start = b * kEvalBatch, count = std::min(kEvalBatch, end - begin - start);
      tallies[static_cast<size_t>(b)] =
          evaluate_batch(model, data, config, device, order.data() + start, count, outputs,
                         probabilities ? probabilities->data() + start : nullptr);
    }
  };
  if (device.is_cpu() && batches > 1) {
    shared_pool().run(batches, 1, batches_from);
  } else {
    batches_from(0, batches);
  }
  Tally tally;
  for (const Tally& batch : tallies) tally += batch;
  model->train();
  return tally;
}

namespace {

// The loss a step backpropagates: the mean BCE over the batch, or, with workers, this worker's
// share of the global batch's mean: its slice's BCE sum over the global batch's element count,
// so that the shares' gradients sum to the mean's.
torch::Tensor batch_loss(const torch::Tensor& probs, const torch::Tensor& labels, int64_t global_count,
                         bool shared, int64_t epoch, int64_t step) {
  try {
    if (!shared) return F::binary_cross_entropy(probs, labels);
    const int64_t outputs = probs.dim() == 2 ? probs.size(1) : 1;  // [B] or [B, C]
    return F::binary_cross_entropy(probs, labels, F::BinaryCrossEntropyFuncOptions().reduction(torch::kSum)) /
           static_cast<double>(global_count * outputs);
  } catch (const c10::Error& e) {
    // BCE rejects NaN probabilities: the weights have diverged.
    throw Error::runtime("training diverged: the model's output is not a number at epoch " +
                         std::to_string(epoch) + ", step " + std::to_string(step + 1) +
                         " (try a smaller train.lr)");
  }
}

std::string step_name(int64_t epoch, int64_t step) {
  return "at epoch " + std::to_string(epoch) + ", step " + std::to_string(step + 1);
}

}  // namespace

namespace {

// One train() call's state: what is fixed for the run (sizes, flags, the shuffle generator, the
// parameters workers exchange) and the scratch a step reuses. train() below is its epochs.
class StepLoop {
 public:
  StepLoop(Classifier& model, torch::optim::Optimizer& optimizer, const Corpus& data, const Config& config,
           torch::Device device, TrainProgress& progress, Workers* workers)
      : model_(model), optimizer_(optimizer), data_(data), config_(config), tc_(config.train), device_(device),
        progress_(progress), workers_(workers),
        shuffle_generator_(at::detail::createCPUGenerator(static_cast<uint64_t>(config.train.seed))),
        device_tally_(device) {
    const int64_t vocab_size = model->embedding->weight.size(0);
    TrainStats& stats = progress.stats;
    stats.batch_steps.resize(static_cast<size_t>(vocab_size), 0);
    stats.grad_steps.resize(static_cast<size_t>(vocab_size), 0);
    stamp_.assign(static_cast<size_t>(vocab_size), -1);
    // Shuffling draws from its own generator so that it never disturbs the
    // global one (model initialisation, and anything a later feature draws).
    if (progress.shuffle_state.defined()) shuffle_generator_.set_state(progress.shuffle_state);
    if (progress.order.empty()) {
      progress.order.resize(static_cast<size_t>(data.size()));
      std::iota(progress.order.begin(), progress.order.end(), 0);
    }
    steps_per_epoch_ = (data.size() + tc_.batch_size - 1) / tc_.batch_size;
    outputs_ = model->linear_1->weight.size(0);
    classes_ = data.multi_label() ? static_cast<size_t>(outputs_) : 0;
    if (!device.is_cpu()) {
      stats.device_grad_steps = torch::zeros({vocab_size}, torch::TensorOptions().dtype(torch::kInt64).device(device));
    }
    // What workers sum each step: every parameter that trains, the embedding's gradient sparse
    // under sparse_adam.
    for (const auto& parameter : model->parameters()) {
      if (!parameter.requires_grad()) continue;
      trainable_.push_back(parameter);
      sparse_grads_.push_back(model->sparse() && parameter.is_same(model->embedding->weight));
    }
    model->train();
  }
  StepLoop(const StepLoop&) = delete;
  StepLoop& operator=(const StepLoop&) = delete;

  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  // With workers: some worker asked to stop during the last step, so all stop now.
  bool stop_agreed() const { return stop_agreed_; }

  // The epoch's order (drawn unless a checkpoint already holds it) and a fresh device tally.
  void begin_epoch() {
    device_tally_ = DeviceTally(device_);
    if (progress_.order_drawn) return;
    if (tc_.shuffle) {
      const auto permutation = torch::randperm(data_.size(), shuffle_generator_, torch::kInt64);
      std::copy_n(permutation.data_ptr<int64_t>(), data_.size(), progress_.order.begin());
    }
    progress_.shuffle_state = shuffle_generator_.get_state();
    progress_.order_drawn = true;
    progress_.step = 0;
    progress_.tally = {};
  }

  // Step progress.step of `epoch`: this worker's slice forward and backward, the gradients
  // summed across workers, the optimizer step, the tally. Returns the global batch's loss
  // (NaN on a GPU without workers, where reading it would stall every step).
  double step(int64_t epoch, bool asked_to_stop) {
    const int64_t step = progress_.step;
    const int64_t start = step * tc_.batch_size;
    const int64_t count = std::min(tc_.batch_size, data_.size() - start);
    const int64_t* indices = progress_.order.data() + start;
    // This worker's slice [lo, hi) of the global batch (all of it without workers).
    const auto [lo, hi] = workers_ ? workers_->slice(count) : std::pair<int64_t, int64_t>{0, count};
    const Slice slice = backward(indices + lo, hi - lo, count, epoch, step);
    const bool on_cpu = device_.is_cpu();
    // On the CPU the loss is checked every step; on a GPU once per epoch.
    const double own_loss = slice.loss.defined() && (on_cpu || workers_) ? slice.loss.item<double>() : 0.0;
    double loss_value = on_cpu ? own_loss : std::nan("");
    if (workers_) {
      std::tie(loss_value, stop_agreed_) =
          workers_->sum_gradients(trainable_, sparse_grads_, own_loss, asked_to_stop, step_name(epoch, step));
    }
    if ((on_cpu || workers_) && !std::isfinite(loss_value)) {
      throw Error::runtime("training diverged: loss is " + std::to_string(loss_value) + " " +
                           step_name(epoch, step) + " (try a smaller train.lr)");
    }
    // The report's per-row step counts cover the global batch; only rank 0 writes them, so the
    // other workers read no rows beyond their own slices.
    if (!workers_ && model_->grad_rows_unique()) {
      count_grad_rows(model_->embedding->weight.grad(), progress_.stats);
    } else if (!workers_ || workers_->rank() == 0) {
      count_rows(data_, indices, count, model_->embedding->weight.grad(), config_.model.max_length,
                 config_.model.pooling == Pooling::flatten, progress_.stats, stamp_, progress_.stats.total_steps,
                 unique_rows_);
    }
    optimizer_step(epoch, step);
    if (hi > lo) add_to_tally(slice, own_loss, indices + lo, hi - lo, count);
    return loss_value;
  }

  // The epoch's tally made whole: device counts read back, and every worker's summed.
  void finish_tally(const std::string& where) {
    if (!device_.is_cpu()) {
      progress_.tally += device_tally_.read();
      device_tally_ = DeviceTally(device_);
      progress_.stats.merge_device_grad_steps();
    }
    if (workers_) workers_->sum(progress_.tally, classes_, where);
  }

 private:
  struct Slice {
    torch::Tensor probs, loss;  // [B] or [B, C]; 0-dim (undefined for an empty slice)
    Batch batch;
  };

  // Forward and backward over `count` sentences at `indices` (possibly none), gradients
  // dropped first: a zeroed sparse gradient would be concatenated with the next one.
  Slice backward(const int64_t* indices, int64_t count, int64_t global_count, int64_t epoch, int64_t step) {
    for (auto& parameter : model_->parameters()) parameter.mutable_grad() = torch::Tensor();
    Slice slice;
    if (count > 0) {
      slice.batch = make_batch(data_, indices, count, config_.model, device_, outputs_);
      slice.probs = model_->forward(slice.batch);
      slice.loss = batch_loss(slice.probs, slice.batch.labels, global_count, workers_ != nullptr, epoch, step);
      slice.loss.backward();
    }
    auto& grad = model_->embedding->weight.mutable_grad();
    // Coalesce a sparse gradient once, here: count_rows and SparseAdam both need unique rows.
    if (grad.defined() && grad.is_sparse()) {
      grad = model_->grad_rows_unique() ? grad._coalesced_(true) : grad.coalesce();
    }
    return slice;
  }

  void optimizer_step(int64_t epoch, int64_t step) {
    if (tc_.lr_schedule != LrSchedule::constant || tc_.warmup_steps > 0) {
      set_lr(optimizer_, tc_.lr * lr_factor(tc_, (epoch - 1) * steps_per_epoch_ + step, tc_.epochs * steps_per_epoch_));
    }
    try {
      optimizer_.step();
    } catch (const std::exception& e) {  // c10::Error, or std::runtime_error on overflow
      const std::string what = e.what();
      throw Error::runtime("training failed " + step_name(epoch, step) + ": " + what.substr(0, what.find('\n')) +
                           " (is train.lr too large?)");
    }
    ++progress_.stats.total_steps;
  }

  // Multi-label tallies are per label: counted on the CPU on every device; binary ones on a
  // GPU stay there until the epoch ends. loss × count: the slice's per-example BCE sum.
  void add_to_tally(const Slice& slice, double own_loss, const int64_t* indices, int64_t count, int64_t global_count) {
    if (device_.is_cpu() || data_.multi_label()) {
      const double loss = device_.is_cpu() || workers_ ? own_loss : slice.loss.item<double>();
      progress_.tally.loss_sum += loss * static_cast<double>(global_count);
      tally_batch(progress_.tally, slice.probs, data_, indices, count);
    } else {
      device_tally_.add(slice.probs, slice.batch.labels, slice.loss, global_count);
    }
  }

  Classifier& model_;
  torch::optim::Optimizer& optimizer_;
  const Corpus& data_;
  const Config& config_;
  const TrainConfig& tc_;
  torch::Device device_;
  TrainProgress& progress_;
  Workers* workers_;
  at::Generator shuffle_generator_;
  DeviceTally device_tally_;  // the epoch's counts on a GPU
  int64_t steps_per_epoch_ = 0, outputs_ = 1;
  size_t classes_ = 0;  // Tally's per-label length
  std::vector<torch::Tensor> trainable_;
  std::vector<bool> sparse_grads_;
  std::vector<int64_t> stamp_, unique_rows_;  // count_rows' scratch
  bool stop_agreed_ = false;
};

// After an epoch's steps: its record (train metrics, valid/test scored), the best epoch so far,
// and progress moved to the next epoch.
EpochRecord close_epoch(Classifier& model, const Corpus* valid, const Corpus* test, const Config& config,
                        torch::Device device, TrainProgress& progress, Workers* workers,
                        std::chrono::steady_clock::time_point started) {
  const int64_t epoch = progress.epoch;
  if (!std::isfinite(progress.tally.loss_sum)) {
    throw Error::runtime("training diverged: loss is not finite in epoch " + std::to_string(epoch) +
                         " (try a smaller train.lr)");
  }
  EpochRecord record;
  record.epoch = epoch;
  record.train = summarize(progress.tally);
  if (valid) record.valid = evaluate(model, *valid, config.model, device, workers);
  if (test) record.test = evaluate(model, *test, config.model, device, workers);
  record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  track_best(model, config.train, record, progress);
  progress.epoch = epoch + 1;
  progress.order_drawn = false;
  progress.step = 0;
  progress.tally = {};
  return record;
}

}  // namespace

void train(Classifier& model, torch::optim::Optimizer& optimizer, const Corpus& data,
           const Corpus* valid, const Corpus* test, const Config& config, torch::Device device,
           const TrainHooks& hooks, TrainProgress& progress, Workers* workers) {
  StepLoop loop(model, optimizer, data, config, device, progress, workers);
  while (progress.epoch <= config.train.epochs && !progress.stopped_early) {
    const int64_t epoch = progress.epoch;
    const auto started = std::chrono::steady_clock::now();
    loop.begin_epoch();
    for (; progress.step < loop.steps_per_epoch(); ++progress.step) {
      const bool asked = hooks.stop_requested && hooks.stop_requested();
      if (workers ? loop.stop_agreed() : asked) {
        loop.finish_tally("while stopping");
        progress.interrupted = true;
        return;
      }
      const double loss = loop.step(epoch, asked);
      if (hooks.on_step) hooks.on_step(epoch, progress.step + 1, loop.steps_per_epoch(), loss);
    }
    loop.finish_tally("at the end of epoch " + std::to_string(epoch));
    const EpochRecord record = close_epoch(model, valid, test, config, device, progress, workers, started);
    if (hooks.on_epoch) hooks.on_epoch(record, progress);
    if (progress.stopped_early) return;
  }
}

}  // namespace embtrain
