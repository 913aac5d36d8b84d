// run_health.h — RunHealth: the warnings for a run that learns nothing, said as it happens.
//
// `train` feeds it each epoch's facts (plain numbers, no tensors); it logs one warning line per
// kind of trouble, naming the cause it can see and the key to change:
//   - no gradient reached the embedding in a whole epoch (the final ReLU clamped every example,
//     a frozen embedding, max pooling's one row per dimension);
//   - the train loss did not move over the run;
//   - the run ends worse than a constant predictor (always the training data's label shares).
// And at start-up, a note when dense `adam` will update every row of a large table.
// Thread-safety: one per run, used from the training thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace embtrain {

struct Config;
struct Corpus;

class RunHealth {
 public:
  RunHealth(const Config& config, const Corpus& train);
  // After epoch `epoch`: the sum over rows of steps with a non-zero gradient so far, and the
  // epoch's mean train loss. Logs at most one warning of each kind per run.
  void epoch_done(int64_t epoch, int64_t gradient_steps, double train_loss);
  // After the last epoch: the loss and constant-predictor checks. Returns the warnings given.
  const std::vector<std::string>& finish();
  // The mean BCE of always predicting the training labels' shares: what a model that learned
  // nothing from the text can reach.
  double constant_loss() const { return constant_loss_; }

 private:
  void warn(const std::string& line);
  std::string zero_gradient_cause() const;
  std::string cause_at(double train_loss) const;

  const Config& config_;
  double constant_loss_ = 0;
  int64_t last_gradient_steps_ = 0;
  bool warned_gradient_ = false;
  std::vector<double> losses_;
  std::vector<std::string> warnings_;
};

// The start-up note for dense Adam over a large table ("" when none is due): every row moves
// every step, at a cost that grows with the table, not the batch.
std::string dense_adam_note(const Config& config, int64_t table_rows, double tokens_per_example);

}  // namespace embtrain
