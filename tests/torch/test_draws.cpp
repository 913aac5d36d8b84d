// test_draws.cpp — the split draws (draws.h) against one ATen call on the default generator:
// the same values (tolerance 0) on 1, 2 and 3 threads, at sizes on both sides of normal_'s
// 16-blocks, and the generator where the single call leaves it (the next draws equal).
// torch before Catch2: glog's CHECK would otherwise replace Catch2's.
#include <torch/torch.h>

#include "../catch.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cstring>

#include "embtrain/text/config.h"
#include "embtrain/torch/draws.h"
#include "embtrain/torch/model.h"
#include "embtrain/torch/threads.h"
#include "embtrain/torch/word_step.h"

using namespace embtrain;

namespace {

bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && std::memcmp(a.data_ptr<float>(), b.data_ptr<float>(), a.numel() * 4) == 0;
}

// What a table draw leaves behind: its values and the generator's next 20 draws.
struct Drawn {
  torch::Tensor values;
  torch::Tensor next;
};

template <class Draw>
Drawn drawn_by(int64_t numel, uint64_t seed, Draw draw) {
  torch::manual_seed(seed);
  torch::rand({3});  // start mid-state, not at a fresh seed's first regeneration
  // A parameter's table, as the models draw them: in-place draws on a leaf that needs grads.
  Drawn out{torch::empty({numel}).requires_grad_(), torch::Tensor()};
  {
    torch::NoGradGuard no_grad;
    draw(out.values);
  }
  out.next = torch::rand({20});
  return out;
}

}  // namespace

TEST_CASE("discard moves the engine as that many draws do") {
  for (const uint64_t draws : {0, 1, 2, 622, 623, 624, 625, 1247, 1248, 1249, 100003}) {
    for (const int warmup : {0, 1, 500, 623, 624}) {
      at::mt19937 drawn(851), skipped(851);
      for (int k = 0; k < warmup; ++k) {
        drawn();
        skipped();
      }
      for (uint64_t k = 0; k < draws; ++k) drawn();
      discard(skipped, draws);
      INFO("draws " << draws << ", warm-up " << warmup);
      CHECK(skipped.data().left_ == drawn.data().left_);
      CHECK(skipped.data().next_ == drawn.data().next_);
      CHECK(skipped.data().state_ == drawn.data().state_);
      CHECK(skipped() == drawn());
    }
  }
}

TEST_CASE("split uniform_ and normal_ give one ATen call's values and generator") {
  // 65536 = kSplitDraws (the smallest split), + 5 and + 21 leave a tail that normal_ redraws.
  for (const int64_t numel : {kSplitDraws, kSplitDraws + 5, kSplitDraws + 21, int64_t{250007}}) {
    const Drawn uniform_ref = drawn_by(numel, 7, [](torch::Tensor t) { t.uniform_(-0.03, 0.05); });
    const Drawn normal_ref = drawn_by(numel, 7, [](torch::Tensor t) { t.normal_(0.0, 1.0); });
    const Drawn skip_ref = drawn_by(numel, 7, [](torch::Tensor t) { t.normal_(); t.uniform_(-1.0, 1.0); });
    for (const int64_t threads : {1, 2, 3}) {
      use_threads(threads, /*always_split=*/true);
      INFO("numel " << numel << ", threads " << threads);
      const Drawn uniform = drawn_by(numel, 7, [](torch::Tensor t) { draw_uniform(t, -0.03, 0.05); });
      CHECK(same_bits(uniform.values, uniform_ref.values));
      CHECK(same_bits(uniform.next, uniform_ref.next));
      const Drawn normal = drawn_by(numel, 7, [](torch::Tensor t) { draw_normal(t, 0.0, 1.0); });
      CHECK(same_bits(normal.values, normal_ref.values));
      CHECK(same_bits(normal.next, normal_ref.next));
      const Drawn skipped = drawn_by(numel, 7, [numel](torch::Tensor t) {
        skip_normal(numel);
        draw_uniform(t, -1.0, 1.0);
      });
      CHECK(same_bits(skipped.values, skip_ref.values));
      CHECK(same_bits(skipped.next, skip_ref.next));
    }
  }
  use_threads(1);
}

TEST_CASE("small and non-float tables take ATen's own path") {
  use_threads(2, /*always_split=*/true);
  for (const int64_t numel : {int64_t{5}, int64_t{16}, int64_t{17}, kSplitDraws - 1}) {
    INFO("numel " << numel);
    const Drawn ref = drawn_by(numel, 3, [](torch::Tensor t) { t.normal_(); t.uniform_(0.0, 1.0); });
    const Drawn got = drawn_by(numel, 3, [numel](torch::Tensor t) {
      skip_normal(numel);
      draw_uniform(t, 0.0, 1.0);
    });
    CHECK(same_bits(got.values, ref.values));
    CHECK(same_bits(got.next, ref.next));
  }
  torch::manual_seed(5);
  const auto ref = torch::empty({kSplitDraws}, torch::kDouble).normal_();
  torch::manual_seed(5);
  auto got = torch::empty({kSplitDraws}, torch::kDouble);
  draw_normal(got, 0.0, 1.0);
  CHECK(torch::equal(got, ref));
  use_threads(1);
}

TEST_CASE("the models' tables and the layers drawn after them are one thread's on 3 threads") {
  // 12,000 rows x 8 = 96,000 floats: above kSplitDraws, so 3 threads take the split path and
  // 1 thread ATen's own calls (the path the parity tests hold equal to Python's).
  auto classifier_parameters = [](EmbeddingInit init, int64_t threads) {
    use_threads(threads, /*always_split=*/true);
    torch::manual_seed(11);
    ModelConfig config;
    config.embedding_dim = 8;
    config.pooling = Pooling::mean;
    config.init = init;
    Classifier model(config, 12000, true);
    init_embedding(model->embedding->weight, init);
    std::vector<torch::Tensor> out;
    for (const auto& p : model->parameters()) out.push_back(p.detach().clone());
    out.push_back(torch::rand({4}));  // where the generator was left
    return out;
  };
  for (const EmbeddingInit init : {EmbeddingInit::normal, EmbeddingInit::uniform, EmbeddingInit::xavier_uniform}) {
    const auto one = classifier_parameters(init, 1), three = classifier_parameters(init, 3);
    REQUIRE(one.size() == three.size());
    for (size_t k = 0; k < one.size(); ++k) {
      INFO("init " << static_cast<int>(init) << ", tensor " << k);
      CHECK(same_bits(one[k], three[k]));
    }
  }
  auto word_parameters = [](int64_t threads) {
    use_threads(threads, /*always_split=*/true);
    torch::manual_seed(11);
    WordModel model(12000 + 3000, 3000, 8);  // input rows: words and buckets; output: words
    return std::vector<torch::Tensor>{model->embedding->weight.detach().clone(), model->output->weight.detach().clone(),
                                      torch::rand({4})};
  };
  const auto one = word_parameters(1), three = word_parameters(3);
  for (size_t k = 0; k < one.size(); ++k) {
    INFO("word model tensor " << k);
    CHECK(same_bits(one[k], three[k]));
  }
  CHECK(one[0].abs().max().item<float>() <= 0.5f / 8);  // uniform in +-0.5/D, not N(0, 1)
  use_threads(1);
}
