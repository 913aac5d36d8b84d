// optimizer.h — Adam, and SparseAdam for sparse embedding gradients.
//
// LibTorch has no SparseAdam. This one follows torch.optim.SparseAdam (1.13):
// for a sparse gradient only the rows in it have their moments updated and
// move; the step count is per parameter, as in PyTorch. Dense gradients (the
// linear layers) get exactly torch::optim::Adam's update, so one optimizer
// serves the whole model.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "embtrain/config.h"
#include "embtrain/model.h"

namespace embtrain {

class SparseAdam : public torch::optim::Optimizer {
 public:
  SparseAdam(std::vector<torch::Tensor> params, torch::optim::AdamOptions options);
  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
};

// "adam": torch::optim::Adam (betas 0.9/0.999, eps 1e-8); "sparse_adam": SparseAdam.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(Classifier& model,
                                                        const TrainConfig& config);

}  // namespace embtrain
