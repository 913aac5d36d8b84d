// test_checkpoint.cpp — checkpoint.pt: what a resume needs comes back exactly; another model's
// checkpoint and garbage are errors naming the file.
#include <torch/torch.h>

#include <fstream>

#include "../catch.h"
#include "../helpers.h"
#include "embtrain/text/error.h"
#include "embtrain/torch/archive_check.h"
#include "embtrain/torch/checkpoint.h"
#include "embtrain/torch/optimizer.h"

using namespace embtrain;
using embtrain::test::spit;
using embtrain::test::TempDir;

namespace {

ModelConfig mean_model() {
  ModelConfig config;
  config.pooling = Pooling::mean;
  config.final_relu = false;
  return config;
}

// One training step on sentence {0, 2} so that the optimizer has state to save.
void one_step(Classifier& model, torch::optim::Optimizer& optimizer) {
  Corpus corpus;
  corpus.ids = {0, 2};
  corpus.offsets = {0, 2};
  corpus.labels = {1};
  const int64_t order[] = {0};
  const Batch batch = make_batch(corpus, order, 1, mean_model(), torch::kCPU);
  optimizer.zero_grad();
  torch::nn::functional::binary_cross_entropy(model->forward(batch), batch.labels).backward();
  optimizer.step();
}

}  // namespace

TEST_CASE("a checkpoint gives back the model, the optimizer's moments, progress and metrics") {
  TempDir dir;
  TrainConfig train_config;
  train_config.optimizer = OptimizerKind::sparse_adam;
  torch::manual_seed(5);
  Classifier model(mean_model(), 6, true);
  auto optimizer = make_optimizer(model, train_config);
  one_step(model, *optimizer);
  TrainProgress progress;
  progress.epoch = 3;
  progress.step = 7;
  progress.order_drawn = true;
  progress.order = {2, 0, 1};
  progress.stats.total_steps = 41;
  progress.stats.batch_steps = {4, 0, 4, 0, 0, 0};  // [V]: a resume checks the vocabulary size
  progress.stats.grad_steps = {3, 0, 4, 0, 0, 0};
  save_checkpoint(dir / "checkpoint.pt", model, *optimizer, progress, "{\"epoch\": 1}\n{\"epoch\": 2}\n");

  torch::manual_seed(99);  // other initial weights, to be overwritten
  Classifier loaded(mean_model(), 6, true);
  auto loaded_optimizer = make_optimizer(loaded, train_config);
  TrainProgress loaded_progress;
  std::string metrics;
  load_checkpoint(dir / "checkpoint.pt", loaded, *loaded_optimizer, loaded_progress, metrics);
  CHECK(torch::equal(loaded->embedding->weight, model->embedding->weight));
  CHECK(torch::equal(loaded->linear_1->bias, model->linear_1->bias));
  CHECK(loaded_progress.epoch == 3);
  CHECK(loaded_progress.step == 7);
  CHECK(loaded_progress.order == std::vector<int64_t>{2, 0, 1});
  CHECK(loaded_progress.stats.total_steps == 41);
  CHECK(loaded_progress.stats.grad_steps == std::vector<int64_t>{3, 0, 4, 0, 0, 0});
  CHECK(metrics == "{\"epoch\": 1}\n{\"epoch\": 2}\n");
  // The same next step from both: equal weights only if the moments came back too.
  one_step(model, *optimizer);
  one_step(loaded, *loaded_optimizer);
  CHECK(torch::equal(loaded->embedding->weight, model->embedding->weight));
}

TEST_CASE("another model's checkpoint, a truncated one and garbage are errors naming the file") {
  TempDir dir;
  TrainConfig train_config;
  Classifier model(mean_model(), 6, false);
  auto optimizer = make_optimizer(model, train_config);
  save_checkpoint(dir / "checkpoint.pt", model, *optimizer, TrainProgress{}, "");
  Classifier wider(mean_model(), 9, false);  // 9 rows instead of 6
  auto wider_optimizer = make_optimizer(wider, train_config);
  TrainProgress progress;
  std::string metrics;
  CHECK_THROWS_WITH(load_checkpoint(dir / "checkpoint.pt", wider, *wider_optimizer, progress, metrics),
                    embtrain::test::contains(dir / "checkpoint.pt"));
  spit(dir / "garbage.pt", "not a checkpoint");
  CHECK_THROWS_AS(load_checkpoint(dir / "garbage.pt", model, *optimizer, progress, metrics), Error);
  const std::string whole = embtrain::test::slurp(dir / "checkpoint.pt");
  spit(dir / "truncated.pt", whole.substr(0, whole.size() / 2));
  CHECK_THROWS_WITH(load_checkpoint(dir / "truncated.pt", model, *optimizer, progress, metrics),
                    embtrain::test::contains(dir / "truncated.pt"));
}

// The fuzzer's find: a pickled tensor that claims more elements than its zip record holds.
// LibTorch alone builds it over the short record (and reading it overran the heap); the
// archive check refuses it before any tensor is built, and passes a real checkpoint.
TEST_CASE("a tensor larger than its record is refused before it is read", "[checkpoint]") {
  const std::string fuzz = std::string(EMBTRAIN_SOURCE_DIR) + "/tests/fuzz/";
  const std::string hostile = fuzz + "regressions/checkpoint/tensor-larger-than-its-storage";
  CHECK(archive_problem(fuzz + "corpus/checkpoint/article-3-epochs").empty());
  // LibTorch's own size check fires once the storage has the record's real size (8 bytes).
  CHECK(archive_problem(hostile) ==
        "Tensor: sizes 10, strides 1, storage offset 0 and itemsize 8 require a storage of at least 80 bytes, "
        "but storage only has 8 bytes");
  Classifier model(ModelConfig{}, 20, false);
  auto optimizer = make_optimizer(model, TrainConfig{});
  TrainProgress progress;
  std::string metrics;
  CHECK_THROWS_WITH(load_checkpoint(hostile, model, *optimizer, progress, metrics),
                    embtrain::test::starts_with("cannot resume from '" + hostile + "': not a readable checkpoint (Tensor: sizes 10"));
}
