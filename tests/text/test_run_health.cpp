// test_run_health.cpp — RunHealth's warnings (values known in advance) and RunState's one line.
#include "embtrain/text/run_health.h"

#include <cmath>

#include "../catch.h"
#include "../helpers.h"
#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/run_state.h"

using namespace embtrain;

namespace {

Corpus binary_corpus(int positives, int negatives) {
  Corpus corpus;
  for (int i = 0; i < positives; ++i) corpus.labels.push_back(1.0f);
  for (int i = 0; i < negatives; ++i) corpus.labels.push_back(0.0f);
  return corpus;
}

}  // namespace

TEST_CASE("the constant predictor's loss is the entropy of the label shares") {
  Config config;
  RunHealth even(config, binary_corpus(5, 5));
  CHECK(even.constant_loss() == Approx(std::log(2.0)).epsilon(1e-12));
  RunHealth skewed(config, binary_corpus(1, 3));  // p = 0.25
  CHECK(skewed.constant_loss() == Approx(-(0.25 * std::log(0.25) + 0.75 * std::log(0.75))).epsilon(1e-12));
}

TEST_CASE("no gradient in an epoch names the final ReLU, a frozen table, max pooling or saturation") {
  Config config;  // the article's: final ReLU on
  RunHealth relu(config, binary_corpus(5, 5));
  relu.epoch_done(1, 0, 0.6931);
  relu.epoch_done(2, 0, 0.6931);  // warned once only
  const auto& warnings = relu.finish();
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0], embtrain::test::contains("no gradient reached the embedding in epoch 1: the final ReLU"));
  CHECK_THAT(warnings[1], embtrain::test::contains("did not move over 2 epochs (0.693100 to 0.693100)"));
  CHECK_THAT(warnings[1], embtrain::test::contains("the no-gradient warning above"));

  config.model.final_relu = false;
  config.model.freeze_embedding = true;
  RunHealth frozen(config, binary_corpus(5, 5));
  frozen.epoch_done(1, 0, 0.5);
  CHECK_THAT(frozen.finish().at(0), embtrain::test::contains("model.freeze_embedding is true"));

  config.model.freeze_embedding = false;
  config.model.pooling = Pooling::max;
  RunHealth max(config, binary_corpus(5, 5));
  max.epoch_done(1, 0, 0.5);
  CHECK_THAT(max.finish().at(0), embtrain::test::contains("max pooling"));

  config.model.pooling = Pooling::mean;
  RunHealth saturated(config, binary_corpus(5, 5));
  saturated.epoch_done(1, 0, 50.0);
  const auto& said = saturated.finish();
  CHECK_THAT(said.at(0), embtrain::test::contains("the Sigmoid saturated"));
  CHECK_THAT(said.at(1), embtrain::test::contains("worse than always predicting"));
}

TEST_CASE("a run that learns says nothing, a slow one is no alarm") {
  Config config;
  config.model.final_relu = false;
  RunHealth learning(config, binary_corpus(5, 5));
  learning.epoch_done(1, 40, 0.6927);
  learning.epoch_done(2, 80, 0.6926);  // moves by 1e-4: slow, not stuck
  CHECK(learning.finish().empty());
}

TEST_CASE("dense adam on a large table gets a note naming sparse_adam and the factor") {
  Config config;
  config.train.batch_size = 10;
  CHECK(dense_adam_note(config, 99999, 5).empty());  // below 100,000 rows
  const std::string note = dense_adam_note(config, 1000000, 5);  // 50 rows a batch at most
  CHECK_THAT(note, embtrain::test::contains("all 1000000 embedding rows") &&
                       embtrain::test::contains("~50 of them") && embtrain::test::contains("~20000x less work"));
  config.train.optimizer = OptimizerKind::sparse_adam;
  CHECK(dense_adam_note(config, 1000000, 5).empty());
}

TEST_CASE("RunState: one line per state, and back from JSON") {
  RunState state;
  state.epochs = 10;
  CHECK(state.describe("runs/x") == "finished: all 10 epochs");
  state.status = RunState::Status::interrupted;
  state.signal = 15;
  state.at_epoch = 5;
  state.at_step = 78;
  state.epochs_completed = 4;
  state.resumable = true;
  CHECK(state.describe("runs/x") ==
        "interrupted by SIGTERM at epoch 5 of 10, step 78 (4 epochs completed); resumable: embtrain train --resume runs/x");
  const RunState back = run_state_from_json(to_json(state), "state.json");
  CHECK(back.describe("runs/x") == state.describe("runs/x"));
  RunState early;
  early.status = RunState::Status::stopped_early;
  early.epochs = 20;
  early.epochs_completed = 12;
  early.best_epoch = 9;
  early.best_metric = "accuracy";
  CHECK(early.describe("d") == "stopped early at epoch 12 of 20 (train.early_stopping): epoch 9, the best on valid "
                               "accuracy, is kept");
  CHECK_THROWS_WITH(run_state_from_json({{"status", "paused"}}, "state.json"),
                    embtrain::test::contains("state.json: field 'status'"));
}
