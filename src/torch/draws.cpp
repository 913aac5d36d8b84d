// draws.cpp — seeded draws split over the shared pool (draws.h).
#include "embtrain/torch/draws.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

#include "embtrain/text/threads.h"

namespace embtrain {
namespace {

constexpr int64_t kNormalBlock = 16;  // normal_'s Box-Muller block (uniform pairs j, j + 8)

// The mt19937 recurrence over the whole state (what engine() does when its state runs out).
void regenerate(std::array<uint32_t, at::MERSENNE_STATE_N>& s) {
  constexpr int n = at::MERSENNE_STATE_N, m = at::MERSENNE_STATE_M;
  auto twist = [](uint32_t u, uint32_t v) {
    return (((u & at::UMASK) | (v & at::LMASK)) >> 1) ^ ((v & 1u) ? at::MATRIX_A : 0u);
  };
  int k = 0;
  for (; k < n - m; ++k) s[k] = s[k + m] ^ twist(s[k], s[k + 1]);
  for (; k < n - 1; ++k) s[k] = s[k + m - n] ^ twist(s[k], s[k + 1]);
  s[n - 1] = s[m - 1] ^ twist(s[n - 1], s[0]);
}

bool splits(const torch::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.is_contiguous() &&
         t.numel() >= kSplitDraws && shared_pool().size() > 1;
}

// Runs `fill(range, generator)` over ranges of `t` (flattened) whose starts are multiples of
// `align`, each with a generator at the position where one call over `t` would start the
// range; then leaves the default generator where the range that ends `t` left its copy.
// `ns_per_element`: the fill's cost, for the split rule.
template <class Fill>
void split_draws(torch::Tensor t, int64_t align, int64_t ns_per_element, Fill fill) {
  at::Generator global = at::detail::getDefaultCPUGenerator();  // shares the default generator
  std::lock_guard<std::mutex> lock(global.mutex());
  const at::mt19937 start = global.get<at::CPUGeneratorImpl>()->engine();
  const torch::Tensor flat = t.detach().view({-1});  // the same storage; grad mode is per thread
  const int64_t n = flat.numel();
  at::mt19937 end_state = start;
  ThreadPool& pool = shared_pool();
  pool.run(n, std::max(pool.grain_for(ns_per_element), align), [&](int64_t begin, int64_t end) {
    at::mt19937 engine = start;
    discard(engine, static_cast<uint64_t>(begin));
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>();
    generator.get<at::CPUGeneratorImpl>()->set_engine(engine);
    fill(flat.slice(0, begin, end), generator);
    if (end == n) end_state = generator.get<at::CPUGeneratorImpl>()->engine();  // one range ends t
  }, align);
  global.get<at::CPUGeneratorImpl>()->set_engine(end_state);
}

}  // namespace

void discard(at::mt19937& engine, uint64_t draws) {
  if (draws == 0) return;
  at::mt19937_data_pod d = engine.data();
  // engine(): --left; at 0 the state regenerates (left = N, next = 0); then next++.
  const auto free_calls = static_cast<uint64_t>(d.left_ - 1);  // calls before a regeneration
  if (draws <= free_calls) {
    d.left_ -= static_cast<int>(draws);
    d.next_ += static_cast<uint32_t>(draws);
    engine.set_data(d);
    return;
  }
  const uint64_t rest = draws - free_calls;  // the first of these regenerates
  const uint64_t cycle = at::MERSENNE_STATE_N;
  const uint64_t regenerations = (rest + cycle - 1) / cycle;
  for (uint64_t r = 0; r < regenerations; ++r) regenerate(d.state_);
  const uint64_t since = rest - (regenerations - 1) * cycle;  // calls since the last one, 1..N
  d.left_ = static_cast<int>(cycle - (since - 1));
  d.next_ = static_cast<uint32_t>(since);
  engine.set_data(d);
}

void draw_uniform(torch::Tensor t, double from, double to) {
  torch::NoGradGuard no_grad;
  if (!splits(t)) {
    t.uniform_(from, to);
    return;
  }
  // about 4 ns an element: the engine, the conversion and the store
  split_draws(t, 1, 4, [&](torch::Tensor range, const at::Generator& g) { range.uniform_(from, to, g); });
}

void draw_normal(torch::Tensor t, double mean, double std) {
  torch::NoGradGuard no_grad;
  if (!splits(t)) {
    t.normal_(mean, std);
    return;
  }
  // Ranges start at multiples of 16 and are >= 16 long (the grain), so each range's blocks
  // are the single call's; the range that ends t redoes t's last 16, as the single call does.
  split_draws(t, kNormalBlock, 16, [&](torch::Tensor range, const at::Generator& g) { range.normal_(mean, std, g); });
}

void skip_normal(int64_t numel) {
  if (numel < kSplitDraws) {
    torch::NoGradGuard no_grad;
    torch::empty({numel}).normal_();  // small: ATen's own path (below 16 it draws differently)
    return;
  }
  at::Generator global = at::detail::getDefaultCPUGenerator();  // shares the default generator
  std::lock_guard<std::mutex> lock(global.mutex());
  at::mt19937 engine = global.get<at::CPUGeneratorImpl>()->engine();
  const int64_t redrawn = numel % kNormalBlock == 0 ? 0 : kNormalBlock;  // the last 16, redone
  discard(engine, static_cast<uint64_t>(numel + redrawn));
  global.get<at::CPUGeneratorImpl>()->set_engine(engine);
}

}  // namespace embtrain
