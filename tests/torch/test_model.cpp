// test_model.cpp — initialisation against the article, shapes, SparseAdam, devices.
// torch before Catch2: glog's CHECK would otherwise replace Catch2's.
#include <torch/torch.h>

#include "../catch.h"

#include "embtrain/text/error.h"
#include "embtrain/torch/model.h"
#include "embtrain/torch/optimizer.h"
#include "embtrain/torch/trainer.h"

using namespace embtrain;

TEST_CASE("seed 1, Embedding(20, 4) equals the article's first printed tensor") {
  // The article prints 4 decimals; every value must round to it.
  const float article[20][4] = {
      {-1.5256, -0.7502, -0.6540, -1.6095}, {-0.1002, -0.6092, -0.9798, -1.6091},
      {-0.7121, 0.3037, -0.7773, -0.2515},  {-0.2223, 1.6871, 0.2284, 0.4676},
      {-0.6970, -1.1608, 0.6995, 0.1991},   {0.8657, 0.2444, -0.6629, 0.8073},
      {1.1017, -0.1759, -2.2456, -1.4465},  {0.0612, -0.6177, -0.7981, -0.1316},
      {1.8793, -0.0721, 0.1578, -0.7735},   {0.1991, 0.0457, 0.1530, -0.4757},
      {-0.1110, 0.2927, -0.1578, -0.0288},  {2.3571, -1.0373, 1.5748, -0.6298},
      {-0.9274, 0.5451, 0.0663, -0.4370},   {0.7626, 0.4415, 1.1651, 2.0154},
      {0.1374, 0.9386, -0.1860, -0.6446},   {1.5392, -0.8696, -3.3312, -0.7479},
      {-0.0255, -1.0233, -0.5962, -1.0055}, {-0.2106, -0.0075, 1.6734, 0.0103},
      {-0.7040, -0.1853, -0.9962, -0.8313}, {-0.4610, -0.5601, 0.3956, -0.9823}};
  torch::manual_seed(1);
  ModelConfig config;
  Classifier model(config, 20, false);
  const auto weight = model->embedding->weight.detach();
  REQUIRE(weight.sizes() == torch::IntArrayRef({20, 4}));
  for (int r = 0; r < 20; ++r) {
    for (int d = 0; d < 4; ++d) {
      CHECK(weight[r][d].item<float>() == Approx(article[r][d]).margin(5e-5));
    }
  }
}

TEST_CASE("forward gives one probability per sentence for every pooling") {
  Corpus corpus;
  corpus.ids = {0, 1, 2, 3, 4};
  corpus.offsets = {0, 3, 4, 5};
  corpus.labels = {1, 0, 1};
  const int64_t order[] = {0, 1, 2};
  for (const Pooling pooling : {Pooling::flatten, Pooling::mean, Pooling::sum, Pooling::max}) {
    ModelConfig config;
    config.pooling = pooling;
    config.final_relu = false;
    Classifier model(config, 5, false);
    const Batch batch = make_batch(corpus, order, 3, config, torch::kCPU);
    const auto probs = model->forward(batch);
    CHECK(probs.sizes() == torch::IntArrayRef({3}));
    CHECK(probs.min().item<float>() > 0.0f);
    CHECK(probs.max().item<float>() < 1.0f);
    if (std::string(to_string(pooling)) == "flatten") CHECK(batch.mask.defined());  // short sentences padded
  }
}

TEST_CASE("the final ReLU pins outputs at >= 0.5") {
  ModelConfig config;  // final_relu on
  Classifier model(config, 10, false);
  Batch batch;
  batch.ids = torch::randint(0, 10, {64, 3}, torch::kInt64);
  CHECK(model->forward(batch).min().item<float>() >= 0.5f);
}

TEST_CASE("SparseAdam moves only the rows in the batch - plain Adam moves seen rows later") {
  Corpus corpus;
  corpus.ids = {0, 1, 2, 3};
  corpus.offsets = {0, 2, 4};
  corpus.labels = {1, 0};
  ModelConfig model_config;
  model_config.pooling = Pooling::mean;
  model_config.final_relu = false;
  TrainConfig train_config;
  train_config.lr = 0.1;
  for (const OptimizerKind kind : {OptimizerKind::sparse_adam, OptimizerKind::adam}) {
    const std::string name = to_string(kind);
    torch::manual_seed(3);
    train_config.optimizer = kind;
    Classifier model(model_config, 6, kind == OptimizerKind::sparse_adam);
    auto optimizer = make_optimizer(model, train_config);
    auto step = [&](int64_t sentence) {
      const Batch batch = make_batch(corpus, &sentence, 1, model_config, torch::kCPU);
      optimizer->zero_grad();
      torch::nn::functional::binary_cross_entropy(model->forward(batch), batch.labels).backward();
      optimizer->step();
    };
    step(0);  // rows 0, 1
    const auto after_first = model->embedding->weight.detach().clone();
    step(1);  // rows 2, 3
    const auto moved = (model->embedding->weight.detach() - after_first).abs().sum(1);
    CHECK(moved[2].item<float>() > 0);
    CHECK(moved[3].item<float>() > 0);
    CHECK(moved[4].item<float>() == 0);  // never in a batch
    if (std::string(name) == "sparse_adam") {
      CHECK(moved[0].item<float>() == 0);  // not in this batch: untouched
    } else {
      CHECK(moved[0].item<float>() > 0);  // Adam's momentum keeps moving it
    }
  }
}

TEST_CASE("devices: auto takes CUDA where there is one, and cuda without one is a usage error") {
  if (torch::cuda::is_available()) {
    CHECK(resolve_device("auto").is_cuda());
    CHECK(resolve_device("cuda").is_cuda());
    CHECK(resolve_device("cuda:0") == torch::Device("cuda:0"));
    CHECK(resolve_device("cpu").is_cpu());
    return;
  }
  try {
    resolve_device("cuda");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK_THAT(e.what(), embtrain::test::contains("CUDA is not available"));
  }
  CHECK(resolve_device("auto").is_cpu());
}

namespace {

// One Adam step with a sparse gradient on `rows` of `weight` ([V, D]); returns the weight after.
torch::Tensor sparse_step(torch::Tensor weight, const std::vector<int64_t>& rows, const torch::Tensor& values) {
  weight.set_requires_grad(true);
  Adam optimizer({weight}, torch::optim::AdamOptions(0.05));
  for (int repeat = 0; repeat < 3; ++repeat) {  // three steps, so the moments matter
    const auto indices = torch::tensor(rows, torch::kInt64).unsqueeze(0);  // [1, K]
    weight.mutable_grad() = torch::sparse_coo_tensor(indices, values, weight.sizes()).coalesce();
    optimizer.step();
  }
  return weight.detach();
}

}  // namespace

TEST_CASE("sparse Adam: the fused CPU loop and the tensor-op fallback give the same bits") {
  torch::manual_seed(11);
  const auto start = torch::randn({8, 5});                 // [V, D]
  const auto values = torch::randn({3, 5}) * 1e-2;         // [K, D] for rows 1, 4, 6
  const auto fused = sparse_step(start.clone(), {1, 4, 6}, values);
  // A transposed view is not contiguous, which sends the update down the tensor-op path.
  auto strided = start.t().contiguous().t();
  REQUIRE_FALSE(strided.is_contiguous());
  const auto fallback = sparse_step(strided, {1, 4, 6}, values);
  CHECK(torch::equal(fused, fallback.contiguous()));
  CHECK(torch::equal(fused[0], start[0]));  // a row outside the gradient never moves
  CHECK_FALSE(torch::equal(fused[1], start[1]));
}

TEST_CASE("sparse Adam: moments of a large embedding (mapped zero pages) update like small ones") {
  torch::manual_seed(12);
  const auto small = torch::randn({10, 4});      // 160 B of moments: plain zeros
  auto large = torch::zeros({70000, 4});         // 1.1 MB of moments: mapped zero pages
  large.narrow(0, 0, 10).copy_(small);
  const auto values = torch::randn({2, 4}) * 1e-2;
  const auto after_small = sparse_step(small.clone(), {1, 5}, values);
  const auto after_large = sparse_step(large, {1, 5}, values);
  CHECK(torch::equal(after_large.narrow(0, 0, 10), after_small));
  CHECK(after_large.narrow(0, 10, 69990).abs().sum().item<float>() == 0);  // untouched rows
}
