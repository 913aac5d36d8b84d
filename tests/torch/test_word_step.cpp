// test_word_step.cpp — one word batch's loss and gradients: aten_batch_loss (what a CUDA run
// takes) against batch_loss's CPU kernels, for skip-gram and CBOW bags, coalesced (sparse_adam)
// and one row per use (sgd): the same bits where bmm runs its plain loop (D·T < 400), within 1e-5
// above it (BLAS sums in its own order); on a CUDA device too where one is visible. Plus a loss
// known in advance.
// torch before Catch2: glog's CHECK would otherwise replace Catch2's.
#include <torch/torch.h>

#include "../catch.h"

#include <cmath>
#include <vector>

#include "embtrain/torch/word_step.h"

using namespace embtrain;

namespace {

constexpr int64_t kRows = 30, kWords = 20, kNegative = 5;

// 12 examples: skip-gram's one input row each, or CBOW bags of 1 to 4 rows.
WordBatch make_batch(bool bags) {
  WordBatch batch;
  for (int64_t p = 0; p < 12; ++p) {
    if (bags) {
      batch.bag_offsets.push_back(static_cast<int64_t>(batch.inputs.size()));
      for (int64_t k = 0; k <= p % 4; ++k) batch.inputs.push_back((p * 7 + k * 3) % kRows);
    } else {
      batch.inputs.push_back((p * 7) % 5);  // repeated rows: coalesce() sums them
    }
    batch.targets.push_back((p * 3) % kWords);
  }
  batch.centres = 12;
  return batch;
}

// Two models with the same tables, the second on `device`; output rows drawn (they start at 0).
std::pair<WordModel, WordModel> twin_models(int64_t dim, const torch::Device& device) {
  torch::manual_seed(11);
  WordModel a(kRows, kWords, dim), b(kRows, kWords, dim);
  torch::NoGradGuard no_grad;
  a->output->weight.copy_(torch::randn({kWords, dim}) * 0.3);
  b->embedding->weight.copy_(a->embedding->weight);
  b->output->weight.copy_(a->output->weight);
  b->to(device);
  return {a, b};
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kCPU).to_dense() - b.to(torch::kCPU).to_dense()).abs().max().item<double>();
}

}  // namespace

TEST_CASE("aten_batch_loss gives the kernels' loss and gradients (the same bits at small D)") {
  std::vector<torch::Device> devices{torch::kCPU};
  if (torch::cuda::is_available()) devices.emplace_back(torch::kCUDA);
  for (const auto& device : devices) {
    for (const int64_t dim : {8, 100}) {
      for (const bool bags : {false, true}) {
        for (const bool coalesce : {true, false}) {
          INFO(device.str() << ", D " << dim << (bags ? ", bags" : ", one row") << (coalesce ? ", coalesced" : ""));
          auto [kernels, aten] = twin_models(dim, device);
          const WordBatch batch = make_batch(bags);
          torch::manual_seed(5);
          const torch::Tensor negatives = torch::randint(0, kWords, {12, kNegative});  // [P, N]
          const double expected = batch_loss(kernels, batch, negatives, coalesce);
          const double loss = aten_batch_loss(aten, batch, negatives, coalesce);
          // At D = 8 bmm is its plain loop on the CPU and coalesce() is what the kernels emulate.
          const double tolerance = device.is_cpu() && dim == 8 ? 0.0 : 1e-5;
          CHECK(std::abs(loss - expected) <= tolerance * std::abs(expected));
          for (const auto& [name, mine, theirs] :
               {std::tuple{"input", aten->embedding->weight.grad(), kernels->embedding->weight.grad()},
                std::tuple{"output", aten->output->weight.grad(), kernels->output->weight.grad()}}) {
            INFO(name << " table");
            CHECK(mine.is_sparse());
            CHECK(mine.is_coalesced() == coalesce);
            CHECK(mine._nnz() == theirs._nnz());  // one row per use, or one per distinct row
            CHECK(max_diff(mine, theirs) <= tolerance);
          }
        }
      }
    }
  }
}

TEST_CASE("aten_batch_loss: output vectors at zero score every word 0, a loss of P·T·ln 2") {
  auto [unused, model] = twin_models(8, torch::kCPU);
  torch::NoGradGuard no_grad;
  model->output->weight.zero_();
  const WordBatch batch = make_batch(true);
  const torch::Tensor negatives = torch::zeros({12, kNegative}, torch::kInt64);
  const double loss = aten_batch_loss(model, batch, negatives, true);
  CHECK(std::abs(loss - 12 * (1 + kNegative) * std::log(2.0)) < 1e-4);
  // Targets (3p mod 20) are 12 distinct words, 0 among them, and every negative is word 0.
  const torch::Tensor grad = model->output->weight.grad();
  CHECK(grad._nnz() == 12);
  // Word 3 is example 1's target alone: sigmoid(0) − 1 times its bag's mean, rows 7 and 10.
  const torch::Tensor w = model->embedding->weight;
  const torch::Tensor expected_row = (w[7] + w[10]) / 2 * -0.5;
  CHECK((grad.to_dense()[3] - expected_row).abs().max().item<double>() < 1e-7);
}
