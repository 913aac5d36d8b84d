// test_word_kernels.cpp — the word objectives' kernels against the ATen ops they stand for,
// tolerance 0: score_words and backprop_words against torch::bmm and autograd where bmm runs its
// plain loop (D·T < 400), on 1, 2 and 3 threads with every region split; NegativeSampler against
// torch::searchsorted; coalesced_grad against coalesce(). Plus values known in advance.
// torch before Catch2: glog's CHECK would otherwise replace Catch2's.
#include <torch/torch.h>

#include "../catch.h"

#include <string>

#include "embtrain/torch/sparse_grad.h"
#include "embtrain/torch/threads.h"
#include "embtrain/torch/word_batch.h"
#include "embtrain/torch/word_kernels.h"

using namespace embtrain;

namespace {

struct Case {
  torch::Tensor hidden, output, words;  // [P, D], [V, D], [P, T]
};

Case make_case(int64_t examples, int64_t targets, int64_t dim, int64_t rows, uint64_t seed) {
  torch::manual_seed(seed);
  Case c{torch::randn({examples, dim}), torch::randn({rows, dim}), torch::randint(0, rows, {examples, targets})};
  c.output.index_fill_(0, torch::tensor({int64_t{0}}), 0.0);  // a zero row: -0 products
  c.words.index_fill_(1, torch::tensor({int64_t{0}}), 0);     // every example's true word is row 0
  return c;
}

bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && std::memcmp(a.contiguous().data_ptr(), b.contiguous().data_ptr(),
                                               static_cast<size_t>(a.numel()) * a.element_size()) == 0;
}

}  // namespace

TEST_CASE("score_words and the gradients give bmm's and autograd's bits where bmm is its plain loop") {
  for (const int64_t threads : {1, 2, 3}) {
    use_threads(threads, /*always_split=*/true);
    for (const auto& [targets, dim] : std::vector<std::pair<int64_t, int64_t>>{{6, 8}, {3, 33}, {11, 36}, {1, 1}}) {
      INFO("threads " << threads << ", T " << targets << ", D " << dim);
      const Case c = make_case(37, targets, dim, 50, static_cast<uint64_t>(targets * 100 + dim));
      const torch::Tensor logits = score_words(c.hidden, c.output, c.words);
      // Autograd through a lookup and bmm, the reference's graph.
      const torch::Tensor out = c.output.index_select(0, c.words.view(-1)).view({37, targets, dim}).requires_grad_();
      const torch::Tensor hidden = c.hidden.clone().requires_grad_();
      const torch::Tensor reference = torch::bmm(out, hidden.unsqueeze(2)).squeeze(2);
      CHECK(same_bits(logits, reference.detach()));
      const torch::Tensor g = torch::randn({37, targets});
      reference.backward(g);
      CHECK(same_bits(hidden_grads(g, c.output, c.words, c.hidden), hidden.grad()));
      const torch::Tensor output_grad = out.grad().view({37 * targets, dim});
      CHECK(same_bits(output_grads(g, c.hidden, c.output, c.words), output_grad));
      const torch::Tensor coalesced = coalesced_output_grads(g, c.hidden, c.output, c.words);
      const torch::Tensor expected = at::_sparse_coo_tensor_unsafe(c.words.view({1, -1}), output_grad, {50, dim}).coalesce();
      CHECK(coalesced._indices().equal(expected._indices()));
      CHECK(same_bits(coalesced._values(), expected._values()));
    }
  }
  use_threads(1);
}

TEST_CASE("score_words sums each dot from +0 in d order at every size, past bmm's plain loop too") {
  // Above D·T = 400 bmm goes to BLAS, so the order is checked against a scalar loop written
  // here: one float multiply and one float add per element, d = 0, 1, ... (volatile: no FMA,
  // no reordering). 16-lane groups, 8-lane groups and single lanes, D with and without a tail.
  for (const int64_t threads : {1, 2}) {
    use_threads(threads, /*always_split=*/true);
    for (const auto& [examples, dim] : std::vector<std::pair<int64_t, int64_t>>{{41, 100}, {9, 7}, {5, 16}, {23, 300}}) {
      INFO("threads " << threads << ", P " << examples << ", D " << dim);
      const Case c = make_case(examples, 6, dim, 80, static_cast<uint64_t>(examples * 1000 + dim));
      const torch::Tensor logits = score_words(c.hidden, c.output, c.words);
      int64_t differ = 0;
      for (int64_t p = 0; p < examples; ++p) {
        for (int64_t t = 0; t < 6; ++t) {
          const float* a = c.output[c.words[p][t].item<int64_t>()].data_ptr<float>();
          const float* h = c.hidden[p].data_ptr<float>();
          volatile float sum = 0.0f;
          for (int64_t d = 0; d < dim; ++d) {
            volatile float product = a[d] * h[d];
            sum = sum + product;
          }
          const float got = logits[p][t].item<float>();
          differ += std::memcmp(&got, const_cast<const float*>(&sum), sizeof(float)) != 0;
        }
      }
      CHECK(differ == 0);
    }
  }
  use_threads(1);
}

TEST_CASE("output_grads and hidden_grads: a product of -0 becomes +0, as in bmm's loop (known in advance)") {
  // One example, T = 1, D = 2: output row 0 is zero, g = -1 and hidden = (1, 2).
  const torch::Tensor hidden = torch::tensor({{1.0f, 2.0f}});
  const torch::Tensor output = torch::zeros({1, 2});
  const torch::Tensor words = torch::zeros({1, 1}, torch::kInt64);
  const torch::Tensor g = torch::tensor({{-1.0f}});
  const torch::Tensor output_grad = output_grads(g, hidden, output, words);
  CHECK(output_grad[0][0].item<float>() == -1.0f);
  CHECK(output_grad[0][1].item<float>() == -2.0f);
  CHECK_FALSE(std::signbit(hidden_grads(g, output, words, hidden)[0][0].item<float>()));  // 0 + (0 · -1) = +0
  // And a -0 product in the output gradient: hidden 0 with g -1 gives +0 there too.
  const torch::Tensor zero_hidden = torch::zeros({1, 2});
  CHECK_FALSE(std::signbit(output_grads(g, zero_hidden, output, words)[0][0].item<float>()));
  CHECK_FALSE(std::signbit(coalesced_output_grads(g, zero_hidden, output, words)._values()[0][0].item<float>()));
  CHECK(score_words(hidden, torch::tensor({{3.0f, 0.5f}}), words).item<float>() == 4.0f);
}

TEST_CASE("NegativeSampler draws what torch::searchsorted(cdf, rand, right) draws") {
  WordCorpus corpus;
  for (const int64_t count : {1000, 1, 1, 250, 7, 1, 90000, 3, 3, 12}) corpus.counts.push_back(count);
  for (const auto& [exponent, threads] : std::vector<std::pair<double, int64_t>>{{0.75, 1}, {1.0, 2}, {0.0, 3}, {0.75, 2}}) {
    use_threads(threads, /*always_split=*/true);  // the searches split over the pool
    const NegativeSampler sampler(corpus, exponent);
    torch::Generator mine = at::detail::createCPUGenerator(), theirs = at::detail::createCPUGenerator();
    mine.set_current_seed(11);
    theirs.set_current_seed(11);
    const torch::Tensor drawn = sampler.draw(200000, mine);
    const torch::Tensor weights = torch::tensor(at::ArrayRef<int64_t>(corpus.counts)).to(torch::kFloat64).pow(exponent);
    const torch::Tensor cdf = torch::cumsum(weights, 0) / torch::cumsum(weights, 0)[-1];
    const torch::Tensor u = torch::rand({200000}, theirs, torch::kFloat64);
    const torch::Tensor expected = torch::searchsorted(cdf, u, false, true).clamp_max_(9);
    INFO("exponent " << exponent << ", threads " << threads);
    CHECK(drawn.equal(expected));
  }
  // A Zipf-like vocabulary of 50,000 words: the frequent words span many of the sampler's
  // buckets (answered without a search), the rare ones share buckets (searched between).
  WordCorpus zipf;
  for (int64_t r = 0; r < 50000; ++r) zipf.counts.push_back(std::max<int64_t>(5, 2000000 / (r + 1)));
  for (const int64_t threads : {1, 2}) {
    use_threads(threads, /*always_split=*/true);
    const NegativeSampler sampler(zipf, 0.75);
    torch::Generator mine = at::detail::createCPUGenerator(), theirs = at::detail::createCPUGenerator();
    mine.set_current_seed(5);
    theirs.set_current_seed(5);
    const torch::Tensor drawn = sampler.draw(300000, mine);
    const torch::Tensor weights = torch::tensor(at::ArrayRef<int64_t>(zipf.counts)).to(torch::kFloat64).pow(0.75);
    const torch::Tensor cdf = torch::cumsum(weights, 0) / torch::cumsum(weights, 0)[-1];
    const torch::Tensor expected =
        torch::searchsorted(cdf, torch::rand({300000}, theirs, torch::kFloat64), false, true).clamp_max_(49999);
    INFO("zipf, threads " << threads);
    CHECK(drawn.equal(expected));
    CHECK(drawn.max().item<int64_t>() > 40000);  // the tail is drawn too
  }
  use_threads(1);
  // Known in advance: with counts 1 and 3 (exponent 1) the shares are 0.25 and 1, so about a
  // quarter of the draws are row 0.
  WordCorpus two;
  two.counts = {1, 3};
  torch::Generator g = at::detail::createCPUGenerator();
  g.set_current_seed(3);
  const double zeros = (NegativeSampler(two, 1.0).draw(40000, g) == 0).sum().item<double>() / 40000;
  CHECK(std::abs(zeros - 0.25) < 0.01);
}

TEST_CASE("coalesced_grad equals coalesce() of the sparse tensor, on any thread count") {
  for (const int64_t threads : {1, 2, 3}) {
    use_threads(threads, /*always_split=*/true);
    for (const int64_t uses : {1, 17, 1000, 40000}) {
      torch::manual_seed(static_cast<uint64_t>(uses));
      const torch::Tensor ids = torch::randint(0, 60, {uses}, torch::kInt64);
      const torch::Tensor values = torch::randn({uses, 5});
      const torch::Tensor expected = at::_sparse_coo_tensor_unsafe(ids.view({1, -1}), values, {60, 5}).coalesce();
      const torch::Tensor mine = coalesced_grad(values, ids.data_ptr<int64_t>(), uses, 60);
      INFO("threads " << threads << ", uses " << uses);
      CHECK(mine.is_coalesced());
      CHECK(mine._indices().equal(expected._indices()));
      CHECK(same_bits(mine._values(), expected._values()));
    }
  }
  use_threads(1);
}

TEST_CASE("the CPU generator's rand in chunks gives the numbers of one call (plan_epoch draws so)") {
  torch::Generator whole = at::detail::createCPUGenerator(), parts = at::detail::createCPUGenerator();
  whole.set_current_seed(5);
  parts.set_current_seed(5);
  const torch::Tensor one = torch::rand({100003}, whole, torch::kFloat64);
  const torch::Tensor chunks = torch::cat({torch::rand({37}, parts, torch::kFloat64), torch::rand({65536}, parts, torch::kFloat64),
                                           torch::rand({34430}, parts, torch::kFloat64)});
  CHECK(one.equal(chunks));
  CHECK(torch::rand({1}, whole, torch::kFloat64).equal(torch::rand({1}, parts, torch::kFloat64)));  // and after them
}

TEST_CASE("the CPU generator's randint in chunks gives the numbers of one call (plan_epoch's windows)") {
  torch::Generator whole = at::detail::createCPUGenerator(), parts = at::detail::createCPUGenerator();
  whole.set_current_seed(9);
  parts.set_current_seed(9);
  const torch::Tensor one = torch::randint(1, 6, {100003}, whole, torch::kInt64);
  const torch::Tensor chunks = torch::cat({torch::randint(1, 6, {37}, parts, torch::kInt64),
                                           torch::randint(1, 6, {65536}, parts, torch::kInt64),
                                           torch::randint(1, 6, {34430}, parts, torch::kInt64)});
  CHECK(one.equal(chunks));
  CHECK(torch::randperm(50, whole, torch::kInt64).equal(torch::randperm(50, parts, torch::kInt64)));  // and after them
}
