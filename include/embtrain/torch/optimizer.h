// optimizer.h — Adam as Python's torch.optim computes it (PyTorch 2.x), dense and sparse.
//
// LibTorch has no SparseAdam, and since PyTorch 2.x its torch::optim::Adam no longer rounds
// like Python's torch.optim.Adam (Python moves the first moment with lerp_, C++ with
// mul_().add_(); one rounding apart, every step). One optimizer serves the whole model:
// - a dense gradient gets torch.optim.Adam's single-tensor CPU update, op for op;
// - a sparse gradient gets torch.optim.SparseAdam's: only the rows in it have their moments
//   updated and move.
// The step count is per parameter, as in PyTorch. Its state is torch::optim::Adam's
// (AdamParamState), so checkpoints keep their format.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "embtrain/text/config.h"
#include "embtrain/torch/model.h"

namespace embtrain {

// An optimizer step's closure, called with autograd on as torch::optim's steps call it: its
// loss, or an undefined tensor without one.
torch::Tensor closure_loss(const torch::optim::Optimizer::LossClosure& closure);

class Adam : public torch::optim::Optimizer {
 public:
  Adam(std::vector<torch::Tensor> params, torch::optim::AdamOptions options);
  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
};

// Both "adam" and "sparse_adam" give Adam (betas 0.9/0.999, eps 1e-8); the model's embedding
// makes sparse gradients under "sparse_adam" (see model.h).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(Classifier& model,
                                                        const TrainConfig& config);

}  // namespace embtrain
