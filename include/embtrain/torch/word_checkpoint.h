// word_checkpoint.h — a word run's state on disk (checkpoint.pt), to continue it exactly.
//
// A LibTorch archive holding both tables, the optimizer's state (SparseAdam's moments and step
// counts), the run's generator where the interrupted epoch began (its plan, word_batch.h, is
// drawn again from it) and where training stopped, the epoch's sums so far, each row's use
// counts, the finished epochs' metrics lines, early stopping's best epoch, and the run's
// fingerprint (text/fingerprint.h). A run resumed from it gives the same bits as the run that
// was never interrupted, on any thread count.
//
// Thread-safety: free functions, called by the training thread.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace embtrain {

struct WordProgress {
  int64_t epoch = 1;  // the epoch to run (1-based)
  int64_t step = 0;   // its next batch (0-based; 0: the epoch has not begun)
  int64_t steps = 0;  // optimizer steps so far
  double epoch_loss = 0;  // the epoch's summed loss and examples so far
  int64_t epoch_pairs = 0;
  torch::Tensor epoch_generator;  // the run's generator where the epoch began
  torch::Tensor generator;        // ... and at `step`
  std::vector<int64_t> use_input, use_target, use_negative;  // [R], [V], [V]
  std::string metrics_lines;  // metrics.jsonl of the finished epochs
  // train.early_stopping = spearman: the best epoch so far and its tables.
  int64_t best_epoch = 0, epochs_since_best = 0;
  double best_spearman = 0;
  bool stopped_early = false;
  std::vector<torch::Tensor> best_parameters;
};

void save_word_checkpoint(const std::string& path, const torch::nn::Module& model,
                          const torch::optim::Optimizer& optimizer, const WordProgress& progress,
                          const std::string& fingerprint);

// Loads into a model and optimizer built from the same config and vocabulary; a checkpoint that
// is not a word run's, or is of another shape, is an Error naming the file.
void load_word_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                          WordProgress& progress);

}  // namespace embtrain
