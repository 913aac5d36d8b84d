// test_trainer.cpp — the lr schedule's factors and the embedding's initial draws, against values
// worked out by hand from the formulas in the README's key table.
// torch before Catch2: glog's CHECK would otherwise replace Catch2's.
#include <torch/torch.h>

#include "../catch.h"

#include "embtrain/torch/model.h"
#include "embtrain/torch/trainer.h"

using namespace embtrain;

namespace {

TrainConfig schedule(LrSchedule kind, int64_t warmup) {
  TrainConfig config;
  config.lr_schedule = kind;
  config.warmup_steps = warmup;
  return config;
}

}  // namespace

TEST_CASE("lr factors: constant, linear and cosine, with and without warmup") {
  constexpr double kTolerance = 1e-12;  // the formulas in double; exact values written below
  const auto constant = schedule(LrSchedule::constant, 0);
  CHECK(lr_factor(constant, 0, 10) == 1.0);
  CHECK(lr_factor(constant, 9, 10) == 1.0);

  const auto linear = schedule(LrSchedule::linear, 0);  // 1 - k/T
  CHECK(lr_factor(linear, 0, 10) == 1.0);
  CHECK(lr_factor(linear, 5, 10) == Approx(0.5).margin(kTolerance));
  CHECK(lr_factor(linear, 9, 10) == Approx(0.1).margin(kTolerance));

  const auto cosine = schedule(LrSchedule::cosine, 0);  // (1 + cos(pi k/T)) / 2
  CHECK(lr_factor(cosine, 0, 10) == 1.0);
  CHECK(lr_factor(cosine, 5, 10) == Approx(0.5).margin(kTolerance));
  CHECK(lr_factor(cosine, 8, 10) == Approx((1 + std::cos(0.8 * M_PI)) / 2).margin(kTolerance));
  CHECK(lr_factor(cosine, 8, 10) == Approx(0.0954915028).margin(1e-9));

  // 4 warmup steps: 1/4, 2/4, 3/4, 4/4; then the schedule over the 8 steps left.
  const auto warm = schedule(LrSchedule::linear, 4);
  CHECK(lr_factor(warm, 0, 12) == 0.25);
  CHECK(lr_factor(warm, 3, 12) == 1.0);
  CHECK(lr_factor(warm, 4, 12) == 1.0);
  CHECK(lr_factor(warm, 8, 12) == Approx(0.5).margin(kTolerance));
  CHECK(lr_factor(warm, 11, 12) == Approx(0.125).margin(kTolerance));
  // Warmup longer than the run: the factor only ever rises.
  CHECK(lr_factor(schedule(LrSchedule::cosine, 100), 9, 10) == 0.1);
}

TEST_CASE("model.init uniform draws U(-1/D, 1/D), xavier_uniform U(-a, a) with a = sqrt(6/(V+D))") {
  torch::manual_seed(3);
  auto weight = torch::randn({50, 8});  // [V, D]
  init_embedding(weight, EmbeddingInit::uniform);
  CHECK(weight.abs().max().item<float>() <= 1.0f / 8);
  CHECK(weight.abs().max().item<float>() > 0.9f / 8);  // 400 draws fill the range
  init_embedding(weight, EmbeddingInit::xavier_uniform);
  const float bound = std::sqrt(6.0f / (50 + 8));
  CHECK(weight.abs().max().item<float>() <= bound);
  CHECK(weight.abs().max().item<float>() > 0.9f * bound);
  const auto kept = weight.clone();
  init_embedding(weight, EmbeddingInit::normal);  // Embedding drew N(0, 1) already: untouched
  CHECK(torch::equal(weight, kept));
}
