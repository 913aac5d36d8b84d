// trainer.cpp — batching, the step loop, evaluation, device choice.
#include "embtrain/torch/trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <numeric>

#include "embtrain/text/error.h"

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

Batch make_batch(const Corpus& corpus, const int64_t* indices, int64_t count,
                 const ModelConfig& model, torch::Device device, int64_t outputs) {
  Batch batch;
  batch.size = count;
  std::vector<float> labels(static_cast<size_t>(count));
  for (int64_t b = 0; b < count; ++b) labels[static_cast<size_t>(b)] = corpus.labels[static_cast<size_t>(indices[b])];
  const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
  if (model.pooling == Pooling::flatten) {
    // [B, L]: the first L ids of each sentence; shorter ones padded with id 0
    // and masked to a zero vector, so padding neither reads nor trains a row.
    const int64_t length = model.max_length;
    auto ids = torch::zeros({count, length}, i64);
    auto* out = ids.data_ptr<int64_t>();
    bool padded = false;
    for (int64_t b = 0; b < count; ++b) {
      const int64_t start = corpus.offsets[static_cast<size_t>(indices[b])];
      const int64_t n = std::min(length, corpus.length(indices[b]));
      std::copy_n(corpus.ids.data() + start, n, out + b * length);
      padded = padded || n < length;
    }
    if (padded) {
      auto mask = torch::zeros({count, length, 1});
      auto* m = mask.data_ptr<float>();
      for (int64_t b = 0; b < count; ++b) {
        const int64_t n = std::min(length, corpus.length(indices[b]));
        std::fill_n(m + b * length, n, 1.0f);
      }
      batch.mask = mask.to(device);
    }
    batch.ids = ids.to(device);
  } else {
    int64_t total = 0;
    for (int64_t b = 0; b < count; ++b) total += corpus.length(indices[b]);
    auto ids = torch::empty({total}, i64);
    auto offsets = torch::empty({count}, i64);
    auto* id_out = ids.data_ptr<int64_t>();
    auto* offset_out = offsets.data_ptr<int64_t>();
    int64_t at = 0;
    for (int64_t b = 0; b < count; ++b) {
      const int64_t n = corpus.length(indices[b]);
      offset_out[b] = at;
      std::copy_n(corpus.ids.data() + corpus.offsets[static_cast<size_t>(indices[b])], n, id_out + at);
      at += n;
    }
    batch.ids = ids.to(device);
    batch.offsets = offsets.to(device);
  }
  if (corpus.multi_label()) {
    auto targets = torch::zeros({count, outputs});  // [B, C] multi-hot
    auto* t = targets.data_ptr<float>();
    for (int64_t b = 0; b < count; ++b) {
      const auto i = static_cast<size_t>(indices[b]);
      for (int64_t k = corpus.label_offsets[i]; k < corpus.label_offsets[i + 1]; ++k) {
        t[b * outputs + corpus.label_ids[static_cast<size_t>(k)]] = 1.0f;
      }
    }
    batch.labels = (outputs == 1 ? targets.squeeze(1) : targets).to(device);  // as the model's output
    return batch;
  }
  batch.labels = torch::from_blob(labels.data(), {count}).clone().to(device);
  return batch;
}

void tally_batch(Tally& tally, const torch::Tensor& probabilities, const Corpus& corpus,
                 const int64_t* indices, int64_t count) {
  const auto p = probabilities.detach().to(torch::kCPU).contiguous();
  const float* pp = p.data_ptr<float>();
  if (!corpus.multi_label()) {
    for (int64_t b = 0; b < count; ++b) tally.add(pp[b], corpus.labels[static_cast<size_t>(indices[b])]);
    return;
  }
  const int64_t classes = p.dim() == 2 ? p.size(1) : 1;  // [B, C], or [B] for one label
  for (int64_t b = 0; b < count; ++b) {
    const auto i = static_cast<size_t>(indices[b]);
    const int64_t first = corpus.label_offsets[i];
    tally.add_multi(pp + b * classes, classes, corpus.label_ids.data() + first, corpus.label_offsets[i + 1] - first);
  }
}

double lr_factor(const TrainConfig& config, int64_t step, int64_t total) {
  const int64_t warmup = config.warmup_steps;
  if (step < warmup) return static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (config.lr_schedule == LrSchedule::constant || total <= warmup) return 1.0;
  const double progress = static_cast<double>(step - warmup) / static_cast<double>(total - warmup);
  if (config.lr_schedule == LrSchedule::linear) return 1.0 - progress;
  return 0.5 * (1.0 + std::cos(M_PI * progress));  // cosine
}

namespace {

// The early-stopping metric of a valid split's metrics, as "higher is better".
double stopping_score(EarlyStopping metric, const Metrics& valid) {
  switch (metric) {
    case EarlyStopping::loss: return -valid.loss;
    case EarlyStopping::accuracy: return valid.accuracy;
    case EarlyStopping::f1: return valid.f1;
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

void set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

// Adds the batch's tokens to batch_steps, and to grad_steps those whose
// gradient row is non-zero after backward().
void count_rows(const Corpus& corpus, const int64_t* indices, int64_t count,
                const torch::Tensor& grad, int64_t max_length, bool truncate, TrainStats& stats,
                std::vector<int64_t>& stamp, int64_t step, std::vector<int64_t>& unique_rows) {
  unique_rows.clear();
  for (int64_t b = 0; b < count; ++b) {
    const int64_t start = corpus.offsets[static_cast<size_t>(indices[b])];
    const int64_t n = truncate ? std::min(max_length, corpus.length(indices[b]))
                               : corpus.length(indices[b]);
    for (int64_t t = 0; t < n; ++t) {
      const int64_t id = corpus.ids[static_cast<size_t>(start + t)];
      if (stamp[static_cast<size_t>(id)] != step) {
        stamp[static_cast<size_t>(id)] = step;
        unique_rows.push_back(id);
        ++stats.batch_steps[static_cast<size_t>(id)];
      }
    }
  }
  if (!grad.defined() || unique_rows.empty()) return;
  torch::Tensor nonzero;
  if (!grad.is_cpu()) {
    // Counted on the device; merged into grad_steps once per epoch.
    if (grad.is_sparse()) {
      stats.device_grad_steps.index_add_(0, grad._indices()[0],
                                         grad._values().ne(0).any(1).to(torch::kInt64));
    } else {
      const auto rows = torch::from_blob(unique_rows.data(),
                                         {static_cast<int64_t>(unique_rows.size())}, torch::kInt64)
                            .to(grad.device());
      stats.device_grad_steps.index_add_(0, rows, grad.index_select(0, rows).ne(0).any(1).to(torch::kInt64));
    }
    return;
  }
  if (grad.is_sparse()) {
    // A sparse gradient holds exactly the batch's rows; the caller coalesced it.
    const auto rows = grad._indices()[0].to(torch::kCPU).contiguous();                  // [K]
    const auto values = grad._values().to(torch::kCPU, torch::kFloat32).contiguous();  // [K, D]
    const auto* r = rows.data_ptr<int64_t>();
    const float* v = values.data_ptr<float>();
    const int64_t dim = values.size(1);
    for (int64_t k = 0; k < rows.size(0); ++k) {
      const bool moving = std::any_of(v + k * dim, v + (k + 1) * dim, [](float x) { return x != 0; });
      stats.grad_steps[static_cast<size_t>(r[k])] += moving;
    }
    return;
  }
  const auto rows = torch::from_blob(unique_rows.data(), {static_cast<int64_t>(unique_rows.size())},
                                     torch::kInt64);
  nonzero = grad.index_select(0, rows).ne(0).any(1);  // [K] bool
  const auto* flags = nonzero.data_ptr<bool>();
  for (size_t i = 0; i < unique_rows.size(); ++i) {
    if (flags[i]) ++stats.grad_steps[static_cast<size_t>(unique_rows[i])];
  }
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

Tally evaluate_range(Classifier& model, const Corpus& data, const ModelConfig& config, torch::Device device,
                     int64_t begin, int64_t end, std::vector<float>* probabilities) {
  torch::NoGradGuard no_grad;
  if (probabilities) probabilities->resize(static_cast<size_t>(end - begin));
  model->eval();
  const int64_t outputs = model->linear_1->weight.size(0);
  Tally tally;
  constexpr int64_t kEvalBatch = 1024;
  std::vector<int64_t> order(static_cast<size_t>(end - begin));
  std::iota(order.begin(), order.end(), begin);
  for (int64_t start = 0; start < end - begin; start += kEvalBatch) {
    const int64_t count = std::min(kEvalBatch, end - begin - start);
    const Batch batch = make_batch(data, order.data() + start, count, config, device, outputs);
    const auto probs = model->forward(batch);  // [B] or [B, C]
    auto losses = F::binary_cross_entropy(probs, batch.labels,
                                          F::BinaryCrossEntropyFuncOptions().reduction(torch::kNone));
    if (losses.dim() == 2) losses = losses.mean(1);  // per example: the mean over its outputs
    tally.loss_sum += losses.sum().item<double>();
    const auto p = probs.to(torch::kCPU).contiguous();  // one copy from the device, for both
    tally_batch(tally, p, data, order.data() + start, count);
    if (probabilities && p.dim() == 1) std::copy_n(p.data_ptr<float>(), count, probabilities->begin() + start);
  }
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

void train(Classifier& model, torch::optim::Optimizer& optimizer, const Corpus& data,
           const Corpus* valid, const Corpus* test, const Config& config, torch::Device device,
           const TrainHooks& hooks, TrainProgress& progress, Workers* workers) {
  const TrainConfig& tc = config.train;
  const int64_t vocab_size = model->embedding->weight.size(0);
  TrainStats& stats = progress.stats;
  stats.batch_steps.resize(static_cast<size_t>(vocab_size), 0);
  stats.grad_steps.resize(static_cast<size_t>(vocab_size), 0);
  std::vector<int64_t> stamp(static_cast<size_t>(vocab_size), -1);
  std::vector<int64_t> unique_rows;

  // Shuffling draws from its own generator so that it never disturbs the
  // global one (model initialisation, and anything a later feature draws).
  auto shuffle_generator = at::detail::createCPUGenerator(static_cast<uint64_t>(tc.seed));
  if (progress.shuffle_state.defined()) shuffle_generator.set_state(progress.shuffle_state);
  std::vector<int64_t>& order = progress.order;
  if (order.empty()) {
    order.resize(static_cast<size_t>(data.size()));
    std::iota(order.begin(), order.end(), 0);
  }
  const int64_t steps_per_epoch = (data.size() + tc.batch_size - 1) / tc.batch_size;
  const bool flatten = config.model.pooling == Pooling::flatten;
  const int64_t outputs = model->linear_1->weight.size(0);
  const size_t classes = data.multi_label() ? static_cast<size_t>(outputs) : 0;  // Tally's per-label length
  // Multi-label tallies are per label: counted on the CPU on every device.
  const bool tally_on_cpu = device.is_cpu() || data.multi_label();
  const bool scheduled = tc.lr_schedule != LrSchedule::constant || tc.warmup_steps > 0;
  const bool on_cpu = device.is_cpu();
  if (!on_cpu) {
    stats.device_grad_steps = torch::zeros({vocab_size}, torch::TensorOptions().dtype(torch::kInt64).device(device));
  }
  // What workers sum each step: every parameter that trains, the embedding's gradient sparse
  // under sparse_adam.
  std::vector<torch::Tensor> trainable;
  std::vector<bool> sparse_grads;
  for (const auto& parameter : model->parameters()) {
    if (!parameter.requires_grad()) continue;
    trainable.push_back(parameter);
    sparse_grads.push_back(model->sparse() && parameter.is_same(model->embedding->weight));
  }
  bool stop_agreed = false;  // with workers: some worker asked to stop during the last step
  model->train();
  // Intra-op threads pay off only on large tensors. A step over a batch of a few
  // thousand ids is a chain of small ops, and OpenMP's hand-off per op made the
  // spam benchmark's training 2x slower on 2 threads than on 1 (6.2 s vs 3.0 s).
  // Steps below kParallelStepElements (ids x dim) run on one thread; evaluation
  // keeps all of train.threads.
  constexpr int64_t kParallelStepElements = int64_t{1} << 22;
  const int configured_threads = at::get_num_threads();
  const int64_t dim = config.model.embedding_dim;
  auto use_threads = [current = configured_threads](int threads) mutable {
    if (threads != current) at::set_num_threads(threads);
    current = threads;
  };

  while (progress.epoch <= tc.epochs && !progress.stopped_early) {
    const int64_t epoch = progress.epoch;
    const auto started = std::chrono::steady_clock::now();
    if (!progress.order_drawn) {
      if (tc.shuffle) {
        const auto permutation = torch::randperm(data.size(), shuffle_generator, torch::kInt64);
        std::copy_n(permutation.data_ptr<int64_t>(), data.size(), order.begin());
      }
      progress.shuffle_state = shuffle_generator.get_state();
      progress.order_drawn = true;
      progress.step = 0;
      progress.tally = {};
    }
    Tally& tally = progress.tally;  // on the CPU
    DeviceTally device_tally(device);     // elsewhere
    // The epoch's tally so far, whole: device counts read back, and every worker's summed.
    auto finish_tally = [&](const std::string& where) {
      if (!on_cpu) {
        tally += device_tally.read();
        device_tally = DeviceTally(device);
        stats.merge_device_grad_steps();
      }
      if (workers) workers->sum(tally, classes, where);
    };
    for (; progress.step < steps_per_epoch; ++progress.step) {
      const bool asked = hooks.stop_requested && hooks.stop_requested();
      if (workers ? stop_agreed : asked) {
        finish_tally("while stopping");
        progress.interrupted = true;
        use_threads(configured_threads);
        return;
      }
      const int64_t step = progress.step;
      const int64_t start = step * tc.batch_size;
      const int64_t count = std::min(tc.batch_size, data.size() - start);
      const int64_t* indices = order.data() + start;
      // This worker's slice [lo, hi) of the global batch (all of it without workers).
      const auto [lo, hi] = workers ? workers->slice(count) : std::pair<int64_t, int64_t>{0, count};

      // Gradients are dropped rather than zeroed: a zeroed sparse gradient would be
      // concatenated with the next one instead of replaced.
      for (auto& parameter : model->parameters()) parameter.mutable_grad() = torch::Tensor();
      torch::Tensor probs, loss;  // [B] or [B, C]; 0-dim
      Batch batch;
      if (hi > lo) {
        batch = make_batch(data, indices + lo, hi - lo, config.model, device, outputs);
        use_threads(batch.ids.numel() * dim < kParallelStepElements ? 1 : configured_threads);
        probs = model->forward(batch);
        loss = batch_loss(probs, batch.labels, count, workers != nullptr, epoch, step);
        loss.backward();
      }
      auto& grad = model->embedding->weight.mutable_grad();
      // Coalesce a sparse gradient once, here: count_rows and SparseAdam both need unique rows.
      if (grad.defined() && grad.is_sparse()) {
        grad = model->grad_rows_unique() ? grad._coalesced_(true) : grad.coalesce();
      }
      // On the CPU the loss is checked every step; on a GPU once per epoch, as
      // reading it each step would make every step wait for the device.
      const double own_loss = loss.defined() && (on_cpu || workers) ? loss.item<double>() : 0.0;
      double loss_value = on_cpu ? own_loss : std::nan("");
      if (workers) {
        std::tie(loss_value, stop_agreed) =
            workers->sum_gradients(trainable, sparse_grads, own_loss, asked, step_name(epoch, step));
      }
      if ((on_cpu || workers) && !std::isfinite(loss_value)) {
        throw Error::runtime("training diverged: loss is " + std::to_string(loss_value) + " " +
                             step_name(epoch, step) + " (try a smaller train.lr)");
      }
      count_rows(data, indices, count, grad, config.model.max_length,
                 flatten, stats, stamp, stats.total_steps, unique_rows);
      if (scheduled) {
        set_lr(optimizer, tc.lr * lr_factor(tc, (epoch - 1) * steps_per_epoch + step, tc.epochs * steps_per_epoch));
      }
      try {
        optimizer.step();
      } catch (const std::exception& e) {  // c10::Error, or std::runtime_error on overflow
        const std::string what = e.what();
        throw Error::runtime("training failed " + step_name(epoch, step) + ": " +
                             what.substr(0, what.find('\n')) + " (is train.lr too large?)");
      }
      ++stats.total_steps;

      if (hi > lo && tally_on_cpu) {
        // loss × count: the slice's per-example BCE sum (the batch's, without workers)
        tally.loss_sum += (on_cpu || workers ? own_loss : loss.item<double>()) * static_cast<double>(count);
        tally_batch(tally, probs, data, indices + lo, hi - lo);
      } else if (hi > lo) {
        device_tally.add(probs, batch.labels, loss, count);
      }
      if (hooks.on_step) hooks.on_step(epoch, step + 1, steps_per_epoch, loss_value);
    }
    use_threads(configured_threads);
    finish_tally("at the end of epoch " + std::to_string(epoch));
    if (!std::isfinite(tally.loss_sum)) {
      throw Error::runtime("training diverged: loss is not finite in epoch " +
                           std::to_string(epoch) + " (try a smaller train.lr)");
    }
    EpochRecord record;
    record.epoch = epoch;
    record.train = summarize(tally);
    if (valid) record.valid = evaluate(model, *valid, config.model, device, workers);
    if (test) record.test = evaluate(model, *test, config.model, device, workers);
    record.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    track_best(model, tc, record, progress);
    progress.epoch = epoch + 1;
    progress.order_drawn = false;
    progress.step = 0;
    progress.tally = {};
    if (hooks.on_epoch) hooks.on_epoch(record, progress);
    if (progress.stopped_early) return;
  }
}

}  // namespace embtrain
