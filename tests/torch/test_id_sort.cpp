// test_id_sort.cpp — sort_ids against LibTorch's own ids.sort(0): the same sorted ids and the
// same order among equal ids (tolerance 0), on 1, 2 and 3 threads with every region split, on
// both sides of ATen's switch to its stable radix sort (32768 ids), and on the inputs that
// drive an introsort to its heap-sort fallback or leave it nothing to do.
// torch before Catch2: glog's CHECK would otherwise replace Catch2's.
#include <torch/torch.h>

#include "../catch.h"

#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "embtrain/torch/id_sort.h"
#include "embtrain/torch/threads.h"

using namespace embtrain;

namespace {

// `n` ids of the named shape; "random" draws from `distinct` values (many repeats).
std::vector<int64_t> make_ids(const std::string& shape, int64_t n, int64_t distinct, uint64_t seed) {
  std::vector<int64_t> ids(static_cast<size_t>(n));
  if (shape == "random") {
    torch::manual_seed(seed);
    const auto drawn = torch::randint(0, distinct, {n}, torch::kInt64);
    std::copy_n(drawn.data_ptr<int64_t>(), n, ids.data());
  } else if (shape == "equal") {
    std::fill(ids.begin(), ids.end(), 7);
  } else if (shape == "ascending") {
    std::iota(ids.begin(), ids.end(), 0);
  } else if (shape == "descending") {
    for (int64_t k = 0; k < n; ++k) ids[static_cast<size_t>(k)] = n - k;
  } else {  // "organ pipe": up then down, a classic bad case for median-of-three pivots
    for (int64_t k = 0; k < n; ++k) ids[static_cast<size_t>(k)] = std::min(k, n - k) % distinct;
  }
  return ids;
}

void check_against_aten(const std::vector<int64_t>& ids, const std::string& what) {
  const auto n = static_cast<int64_t>(ids.size());
  const auto input = torch::from_blob(const_cast<int64_t*>(ids.data()), {n}, torch::kInt64);
  const auto [keys, positions] = input.sort(0);
  std::vector<int64_t> sorted(ids.size()), order(ids.size());
  sort_ids(ids.data(), n, sorted.data(), order.data());
  INFO(what);
  CHECK(std::equal(sorted.begin(), sorted.end(), keys.data_ptr<int64_t>()));
  CHECK(std::equal(order.begin(), order.end(), positions.data_ptr<int64_t>()));
}

}  // namespace

TEST_CASE("sort_ids gives ATen's order among equal ids on any thread count") {
  for (const int64_t threads : {1, 2, 3}) {
    use_threads(threads, /*always_split=*/true);
    for (const std::string shape : {"random", "equal", "ascending", "descending", "organ pipe"}) {
      for (const int64_t n : {0, 1, 2, 16, 17, 100, 1000, 11000, 32767, 32768, 50000}) {
        for (const int64_t distinct : {3, 300, 100000}) {
          check_against_aten(make_ids(shape, n, distinct, static_cast<uint64_t>(n + distinct)),
                             shape + " n=" + std::to_string(n) + " distinct=" + std::to_string(distinct) +
                                 " threads=" + std::to_string(threads));
        }
      }
    }
  }
  use_threads(1);
}

TEST_CASE("sort_ids gives std::sort's order among equal ids on 2,000 random batches") {
  // sort_ids partitions with its own block scans; std::sort of (id, position) by id, which ATen
  // runs below 32768 ids, is the oracle. Sizes around the scan blocks (64, 128) and the leaves
  // (16), few distinct ids (long runs of equal ones, where Hoare's scans swap equal ids).
  struct Pair {
    int64_t id, at;
  };
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    const auto n = static_cast<int64_t>(rng() % (trial < 1000 ? 400 : 6000));
    const auto distinct = static_cast<int64_t>(1 + rng() % (trial % 3 == 0 ? 4 : 500));
    std::vector<int64_t> ids(static_cast<size_t>(n));
    for (auto& id : ids) id = static_cast<int64_t>(rng() % static_cast<uint64_t>(distinct));
    std::vector<Pair> pairs(ids.size());
    for (size_t k = 0; k < ids.size(); ++k) pairs[k] = {ids[k], static_cast<int64_t>(k)};
    std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.id < b.id; });
    std::vector<int64_t> sorted(ids.size()), order(ids.size());
    use_threads(trial % 2 == 0 ? 1 : 2, /*always_split=*/trial % 2 == 1);
    sort_ids(ids.data(), n, sorted.data(), order.data());
    bool same = true;
    for (size_t k = 0; k < ids.size(); ++k) same = same && sorted[k] == pairs[k].id && order[k] == pairs[k].at;
    INFO("trial " << trial << " n=" << n << " distinct=" << distinct);
    REQUIRE(same);
  }
  use_threads(1);
}

TEST_CASE("sort_ids: ids too large to pack with their positions sort as ATen sorts them") {
  // sort_ids packs an id and its position into one word when both fit; these do not (ids near
  // 2^62, and negative ones), so they take the pairs' path, which must agree with ATen too.
  for (const int64_t threads : {1, 2}) {
    use_threads(threads, /*always_split=*/true);
    for (const int64_t n : {1000, 40000}) {
      std::vector<int64_t> ids = make_ids("random", n, 300, static_cast<uint64_t>(n));
      for (size_t k = 0; k < ids.size(); k += 2) ids[k] += int64_t{1} << 62;
      check_against_aten(ids, "large ids n=" + std::to_string(n));
      ids[ids.size() / 2] = -5;
      check_against_aten(ids, "a negative id n=" + std::to_string(n));
    }
  }
  use_threads(1);
}

TEST_CASE("sort_ids: a pinned case whose order among equal ids is known in advance") {
  use_threads(2, /*always_split=*/true);
  // 40000 ids alternating 1, 0: past 32767 ATen's sort is stable, so the zeros come first in
  // position order (1, 3, 5, ...) and then the ones (0, 2, 4, ...).
  std::vector<int64_t> ids(40000);
  for (size_t k = 0; k < ids.size(); ++k) ids[k] = k % 2 == 0 ? 1 : 0;
  std::vector<int64_t> sorted(ids.size()), order(ids.size());
  sort_ids(ids.data(), static_cast<int64_t>(ids.size()), sorted.data(), order.data());
  CHECK(sorted.front() == 0);
  CHECK(sorted[19999] == 0);
  CHECK(sorted[20000] == 1);
  CHECK(order[0] == 1);
  CHECK(order[1] == 3);
  CHECK(order[20000] == 0);
  CHECK(order[39999] == 39998);
  use_threads(1);
}
