// optimizer.cpp — SparseAdam::step and make_optimizer.
#include "embtrain/optimizer.h"

#include <cmath>

namespace embtrain {

using torch::optim::AdamOptions;
using torch::optim::AdamParamState;

SparseAdam::SparseAdam(std::vector<torch::Tensor> params, AdamOptions options)
    : torch::optim::Optimizer({torch::optim::OptimizerParamGroup(std::move(params))},
                              std::make_unique<AdamOptions>(options)) {}

torch::Tensor SparseAdam::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const AdamOptions&>(group.options());
    const double beta1 = std::get<0>(options.betas());
    const double beta2 = std::get<1>(options.betas());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const auto key = c10::guts::to_string(p.unsafeGetTensorImpl());
      auto found = state_.find(key);
      if (found == state_.end()) {
        auto state = std::make_unique<AdamParamState>();
        state->step(0);
        state->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        state->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        found = state_.emplace(key, std::move(state)).first;
      }
      auto& state = static_cast<AdamParamState&>(*found->second);
      state.step(state.step() + 1);
      auto& exp_avg = state.exp_avg();
      auto& exp_avg_sq = state.exp_avg_sq();
      const double bias_correction1 = 1 - std::pow(beta1, state.step());
      const double bias_correction2 = 1 - std::pow(beta2, state.step());
      const auto& grad = p.grad();
      if (!grad.is_sparse()) {
        // torch::optim::Adam's update, operation for operation.
        exp_avg.mul_(beta1).add_(grad, 1 - beta1);
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
        const auto denom = (exp_avg_sq.sqrt() / std::sqrt(bias_correction2)).add_(options.eps());
        p.addcdiv_(exp_avg, denom, -options.lr() / bias_correction1);
        continue;
      }
      // torch.optim.SparseAdam's update on the K rows present in the gradient.
      const auto coalesced = grad.coalesce();
      const auto rows = coalesced._indices()[0];    // [K] int64, unique
      const auto values = coalesced._values();      // [K, D]
      if (rows.numel() == 0) continue;
      const auto old_exp_avg = exp_avg.index_select(0, rows);        // [K, D]
      auto exp_avg_update = values.sub(old_exp_avg).mul_(1 - beta1);  // [K, D]
      exp_avg.index_add_(0, rows, exp_avg_update);
      const auto old_exp_avg_sq = exp_avg_sq.index_select(0, rows);
      auto exp_avg_sq_update = values.pow(2).sub_(old_exp_avg_sq).mul_(1 - beta2);
      exp_avg_sq.index_add_(0, rows, exp_avg_sq_update);
      auto numer = exp_avg_update.add_(old_exp_avg);
      const auto denom = exp_avg_sq_update.add_(old_exp_avg_sq).sqrt_().add_(options.eps());
      const double step_size = options.lr() * std::sqrt(bias_correction2) / bias_correction1;
      p.index_add_(0, rows, numer.div_(denom).mul(-step_size));
    }
  }
  return loss;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(Classifier& model,
                                                        const TrainConfig& config) {
  const auto options = AdamOptions(config.lr);
  if (config.optimizer == "sparse_adam") {
    return std::make_unique<SparseAdam>(model->parameters(), options);
  }
  return std::make_unique<torch::optim::Adam>(model->parameters(), options);
}

}  // namespace embtrain
