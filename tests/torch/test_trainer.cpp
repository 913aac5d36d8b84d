// test_trainer.cpp — the lr schedule's factors and the embedding's initial draws, against values
// worked out by hand from the formulas in the README's key table.
// torch before Catch2: glog's CHECK would otherwise replace Catch2's.
#include <torch/torch.h>

#include "../catch.h"

#include "embtrain/torch/model.h"
#include "embtrain/torch/optimizer.h"
#include "embtrain/torch/threads.h"
#include "embtrain/torch/trainer.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/text/vocab.h"

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

namespace {

// Eight labelled sentences, encoded with a vocabulary built from them.
struct TinyRun {
  Config config;
  Vocab vocab;
  Corpus corpus;
};

TinyRun tiny_run() {
  TinyRun run;
  run.config.data.train = "tiny.tsv";
  run.config.model.pooling = Pooling::mean;
  run.config.model.final_relu = false;
  run.config.train.epochs = 2;
  run.config.train.batch_size = 3;
  run.config.train.lr = 0.05;
  run.config.train.optimizer = OptimizerKind::sparse_adam;
  run.config.train.shuffle = true;
  TextDataset data;
  const char* texts[] = {"good day", "bad day", "good food here", "bad food", "so good", "so bad", "good", "bad bad"};
  for (int i = 0; i < 8; ++i) data.rows.push_back({static_cast<float>(i % 2 == 0), texts[i], {}, i + 1});
  Tokenizer tokenizer(TokenizerOptions::from(run.config.vocab));
  const TokenCounts counts = count_tokens(data, tokenizer);
  run.vocab = build_vocab(counts, run.config.vocab);
  run.corpus = encode(data, tokenizer, run.vocab);
  return run;
}

// Trains the tiny run on `threads` threads (every kernel split), stopping before step
// `stop_at` (1-based over the run; 0: never). Returns the embedding [V, D] and counts the steps.
torch::Tensor train_tiny(int64_t threads, int64_t stop_at, int64_t& steps, TrainProgress& progress) {
  use_threads(threads, /*always_split=*/true);
  TinyRun run = tiny_run();
  torch::manual_seed(5);
  Classifier model = create_model(run.config, run.vocab, nullptr, nullptr);
  auto optimizer = make_optimizer(model, run.config.train);
  TrainHooks hooks;
  steps = 0;
  hooks.on_step = [&](int64_t, int64_t, int64_t, double) { ++steps; };
  hooks.stop_requested = [&] { return stop_at > 0 && steps + 1 >= stop_at; };
  train(model, *optimizer, run.corpus, nullptr, nullptr, run.config, torch::kCPU, hooks, progress);
  use_threads(1);
  return model->embedding->weight.detach().clone();
}

}  // namespace

TEST_CASE("the step loop: steps per epoch, a stop at a given step, the same weights on 1 and 3 threads") {
  int64_t steps = 0;
  TrainProgress whole;
  const torch::Tensor one = train_tiny(1, 0, steps, whole);
  CHECK(steps == 6);  // 2 epochs of ceil(8 / 3) = 3 steps
  CHECK(whole.stats.total_steps == 6);
  CHECK_FALSE(whole.interrupted);
  TrainProgress threaded;
  const torch::Tensor three = train_tiny(3, 0, steps, threaded);
  CHECK(torch::equal(one, three));  // bit for bit, every kernel split over 3 threads
  TrainProgress cut;
  train_tiny(1, 5, steps, cut);  // stops before the 5th step: epoch 2, its step index 1
  CHECK(steps == 4);
  CHECK(cut.interrupted);
  CHECK(cut.epoch == 2);
  CHECK(cut.step == 1);
}
