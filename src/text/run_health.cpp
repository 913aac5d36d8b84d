// run_health.cpp — RunHealth's checks and their wording.
#include "embtrain/text/run_health.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"

namespace embtrain {

namespace {

// BCE of predicting p for a label that is 1 in a share p of the examples.
double entropy(double p) {
  if (p <= 0 || p >= 1) return 0;
  return -(p * std::log(p) + (1 - p) * std::log(1 - p));
}

// The loss of predicting each output's share in the training data: binary runs have one output;
// a multi-label run's BCE is averaged over its outputs.
double constant_predictor_loss(const Corpus& train, int64_t outputs) {
  if (train.size() == 0) return 0;
  if (!train.multi_label()) {
    double positives = 0;
    for (const float label : train.labels) positives += label;
    return entropy(positives / static_cast<double>(train.size()));
  }
  std::vector<double> counts(static_cast<size_t>(std::max<int64_t>(outputs, 1)), 0);
  for (const int32_t id : train.label_ids) {
    if (id >= 0 && static_cast<size_t>(id) < counts.size()) counts[static_cast<size_t>(id)] += 1;
  }
  double sum = 0;
  for (const double count : counts) sum += entropy(count / static_cast<double>(train.size()));
  return sum / static_cast<double>(counts.size());
}

}  // namespace

RunHealth::RunHealth(const Config& config, const Corpus& train)
    : config_(config),
      constant_loss_(constant_predictor_loss(train, std::max<int64_t>(1, static_cast<int64_t>(config.data.labels.size())))) {}

void RunHealth::warn(const std::string& line) {
  warnings_.push_back(line);
  spdlog::warn("{}", line);
}

std::string RunHealth::zero_gradient_cause() const {
  if (config_.model.freeze_embedding) return "model.freeze_embedding is true (the table is frozen)";
  if (config_.model.final_relu) {
    return "the final ReLU clamped every example (the last layer's output was <= 0, so the Sigmoid gave "
           "exactly 0.5 and no gradient flowed); set model.final_relu=false";
  }
  if (config_.model.pooling == Pooling::max) {
    return "max pooling passes a gradient only to the row that holds each dimension's maximum; try "
           "model.pooling=mean";
  }
  return "the loss gave no gradient to any input row; check train.lr and the labels";
}

std::string RunHealth::cause_at(double train_loss) const {
  // BCE clamps log() at -100: a loss far above the constant predictor's means outputs at 0 or 1.
  if (std::isfinite(train_loss) && train_loss > 5 * std::max(constant_loss_, 0.1)) {
    return fmt::format("the Sigmoid saturated (outputs at exactly 0 or 1, train loss {:.4f}), which leaves no "
                       "gradient; try a smaller train.lr (now {})", train_loss, config_.train.lr);
  }
  return zero_gradient_cause();
}

void RunHealth::epoch_done(int64_t epoch, int64_t gradient_steps, double train_loss) {
  losses_.push_back(train_loss);
  if (!warned_gradient_ && gradient_steps == last_gradient_steps_) {
    warned_gradient_ = true;
    warn(fmt::format("no gradient reached the embedding in epoch {}: {}", epoch, cause_at(train_loss)));
  }
  last_gradient_steps_ = gradient_steps;
}

const std::vector<std::string>& RunHealth::finish() {
  if (losses_.size() >= 2) {
    const double first = losses_.front(), last = losses_.back();
    // Unchanged to about single precision: a loss that moves slowly (a small train.lr) is no alarm.
    if (std::isfinite(first) && std::abs(first - last) <= 1e-6 * std::max(1.0, std::abs(first))) {
      warn(fmt::format("the train loss did not move over {} epochs ({:.6f} to {:.6f}): the model learned "
                       "nothing; {}", losses_.size(), first, last,
                       warned_gradient_ ? "the no-gradient warning above names the likely cause"
                                        : fmt::format("try a larger train.lr (now {}) or more train.epochs",
                                                      config_.train.lr)));
    }
  }
  if (!losses_.empty() && losses_.back() > constant_loss_ * 1.05 + 1e-3 && constant_loss_ > 0) {
    warn(fmt::format("the final train loss {:.4f} is worse than always predicting the training labels' "
                     "shares ({:.4f}): the run diverged or overshot; try a smaller train.lr (now {})",
                     losses_.back(), constant_loss_, config_.train.lr));
  }
  return warnings_;
}

std::string dense_adam_note(const Config& config, int64_t table_rows, double tokens_per_example) {
  // Dense Adam reads and writes every row each step; sparse_adam only the rows in the batch.
  constexpr int64_t kLargeTable = 100000;
  if (config.train.optimizer != OptimizerKind::adam || config.model.freeze_embedding || table_rows < kLargeTable) {
    return "";
  }
  const double rows_per_step = std::min(static_cast<double>(table_rows),
                                        std::max(1.0, tokens_per_example * static_cast<double>(config.train.batch_size)));
  return fmt::format("train.optimizer=adam updates all {} embedding rows every step (PyTorch's dense Adam); "
                     "a batch touches at most ~{:.0f} of them, so train.optimizer=sparse_adam (Adam on the "
                     "batch's rows only) does ~{:.0f}x less work per step on the table",
                     table_rows, rows_per_step, static_cast<double>(table_rows) / rows_per_step);
}

}  // namespace embtrain
