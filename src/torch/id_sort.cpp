// id_sort.cpp — sort_ids: ATen's sort of int64 ids, split over the pool without changing it.
#include "embtrain/torch/id_sort.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "embtrain/text/threads.h"

#if !defined(__GLIBCXX__)
#include <torch/torch.h>
#endif

namespace embtrain {

#if defined(__GLIBCXX__)
namespace {

constexpr int64_t kStableFrom = 32768;  // at::internal::GRAIN_SIZE: ATen's radix sort from here
constexpr int64_t kBlock = 16;          // libstdc++'s _S_threshold: introsort leaves blocks this small

struct IdAt {
  int64_t id, at;
};
struct ById {  // ATen's KeyValueCompAsc on integers: the id alone
  bool operator()(const IdAt& a, const IdAt& b) const { return a.id < b.id; }
};
struct ByIdThenAt {  // a stable sort's order, which any correct sort of these pairs gives
  bool operator()(const IdAt& a, const IdAt& b) const { return a.id < b.id || (a.id == b.id && a.at < b.at); }
};

// The same pairs packed in one word, id << shift | at, when both fit (ids >= 0, below
// 2^(63 - shift)): half the bytes to move. The introsort's comparisons see the same outcomes
// (the ids alone, or the ids then the positions), so it makes the same moves: the same order.
struct Packed {
  uint64_t key;
};
template <int Shift>
struct PackedById {
  bool operator()(const Packed& a, const Packed& b) const { return (a.key >> Shift) < (b.key >> Shift); }
};
struct PackedByIdThenAt {
  bool operator()(const Packed& a, const Packed& b) const { return a.key < b.key; }
};

// libstdc++'s std::__unguarded_partition(first, last, pivot): Hoare's two scans, which swap the
// k-th element from the left that is not below the pivot with the k-th from the right that is
// not above it, until they cross; the cut is where the left scan stopped. Its scans branch on
// every comparison, and a batch's ids make those branches unpredictable. Here, while the
// unscanned gap holds two blocks, each side finds its candidates in a block of kScanBlock
// without branching (BlockQuicksort's scheme) and the k-th candidates of the two sides are
// swapped, as Hoare's loop swaps them (the blocks do not overlap, so every such pair is one it
// would swap). When the gap is smaller, the pointers are where Hoare's would be (at a side's
// next unused candidate, or at its unscanned edge) and its own loop finishes: the same swaps,
// the same cut, the same order among equal ids.
constexpr int64_t kScanBlock = 32;

template <typename Item, typename Less>
Item* hoare_partition(Item* first, Item* last, const Item pivot, Less less) {
  uint8_t left[kScanBlock], right[kScanBlock];  // candidates' offsets in their block, in scan order
  int left_n = 0, left_i = 0, right_n = 0, right_i = 0;
  Item* left_block = first;  // the left block is [left_block, +kScanBlock)
  Item* right_end = last;    // the right block is [right_end - kScanBlock, right_end), scanned downwards
  while (right_end - left_block >= 2 * kScanBlock) {
    if (left_i == left_n) {
      left_n = left_i = 0;
      for (int k = 0; k < kScanBlock; ++k) {
        left[left_n] = static_cast<uint8_t>(k);
        left_n += !less(left_block[k], pivot);
      }
    }
    if (right_i == right_n) {
      right_n = right_i = 0;
      for (int k = 0; k < kScanBlock; ++k) {
        right[right_n] = static_cast<uint8_t>(k);
        right_n += !less(pivot, right_end[-1 - k]);
      }
    }
    const int swaps = std::min(left_n - left_i, right_n - right_i);
    for (int s = 0; s < swaps; ++s) std::iter_swap(left_block + left[left_i + s], right_end - 1 - right[right_i + s]);
    left_i += swaps;
    right_i += swaps;
    if (left_i == left_n) left_block += kScanBlock;
    if (right_i == right_n) right_end -= kScanBlock;
  }
  first = left_i < left_n ? left_block + left[left_i] : left_block;
  last = right_i < right_n ? right_end - right[right_i] : right_end;  // one past the next candidate
  while (true) {
    while (less(*first, pivot)) ++first;
    --last;
    while (less(pivot, *last)) --last;
    if (!(first < last)) return first;
    std::iter_swap(first, last);
    ++first;
  }
}

// std::__unguarded_partition_pivot: the median of the second, middle and last moved to the
// front (libstdc++'s own function), then the partition of the rest around it.
template <typename Item, typename Less>
Item* partition_pivot(Item* first, Item* last, Less less) {
  Item* mid = first + (last - first) / 2;
  std::__move_median_to_first(first, first + 1, mid, last - 1, __gnu_cxx::__ops::__iter_comp_iter(less));
  return hoare_partition(first + 1, last, *first, less);
}

// std::__introsort_loop: partitions down to blocks of kBlock, heap sort (libstdc++'s own
// __partial_sort) where the depth runs out.
template <typename Item, typename Less>
void introsort_loop(Item* first, Item* last, int64_t depth, Less less) {
  while (last - first > kBlock) {
    if (depth == 0) {
      std::__partial_sort(first, last, last, __gnu_cxx::__ops::__iter_comp_iter(less));
      return;
    }
    --depth;
    Item* cut = partition_pivot(first, last, less);
    introsort_loop(cut, last, depth, less);
    last = cut;
  }
}

// std::sort(first, last, less) with the loop above, then libstdc++'s final insertion sort.
template <typename Item, typename Less>
void introsort(Item* first, Item* last, Less less) {
  if (last - first < 2) return;
  introsort_loop(first, last, 2 * static_cast<int64_t>(std::__lg(last - first)), less);
  std::__final_insertion_sort(first, last, __gnu_cxx::__ops::__iter_comp_iter(less));
}

// A range of the pairs that std::sort's introsort would reach with `depth` levels left.
struct Piece {
  int64_t begin, end, depth;
};

// std::sort(items, items + n) as libstdc++ runs it: __introsort_loop(depth 2·lg n), then one
// insertion sort over the whole. Every partition leaves each element of its left part <= each
// of its right part, so the parts sort independently, and the final insertion sort never moves
// an element out of its part: the whole equals each part's loop and insertion sort on its own.
// The first levels of partitions are made level by level (the pieces of a level at once), and
// the pieces they leave are then finished on whichever thread is free.
template <typename Less, typename Item>
void introsort_on_pool(Item* items, int64_t n, ThreadPool& pool) {
  const auto less = __gnu_cxx::__ops::__iter_comp_iter(Less{});
  std::vector<Piece> pieces{{0, n, 2 * static_cast<int64_t>(std::__lg(n))}};
  const auto wanted = static_cast<size_t>(2 * pool.size());
  while (pieces.size() < wanted) {
    std::vector<Piece> next(2 * pieces.size(), Piece{0, 0, 0});
    const auto split = [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const Piece piece = pieces[static_cast<size_t>(p)];
        Piece& left = next[static_cast<size_t>(2 * p)];
        Piece& right = next[static_cast<size_t>(2 * p + 1)];
        if (piece.end - piece.begin <= kBlock || piece.depth == 0) {  // the loop would not cut it
          left = piece;
          right = {piece.end, piece.end, 0};
          continue;
        }
        Item* cut = partition_pivot(items + piece.begin, items + piece.end, Less{});
        left = {piece.begin, cut - items, piece.depth - 1};
        right = {cut - items, piece.end, piece.depth - 1};
      }
    };
    pool.run(static_cast<int64_t>(pieces.size()), 1, split);
    pieces.swap(next);
  }
  std::atomic<size_t> claimed{0};
  const auto finish = [&](int64_t, int64_t) {
    for (size_t p; (p = claimed.fetch_add(1)) < pieces.size();) {
      const Piece piece = pieces[p];
      if (piece.end - piece.begin < 2) continue;
      introsort_loop(items + piece.begin, items + piece.end, piece.depth, Less{});
      std::__insertion_sort(items + piece.begin, items + piece.end, less);
    }
  };
  pool.run(pool.size(), 1, finish);
}

// std::sort by `Less`, on the pool when `split`.
template <typename Less, typename Item>
void sort_items(std::vector<Item>& items, bool split, ThreadPool& pool) {
  if (split) {
    introsort_on_pool<Less>(items.data(), static_cast<int64_t>(items.size()), pool);
  } else {
    introsort(items.data(), items.data() + items.size(), Less{});
  }
}

// Positions take 15 bits below ATen's radix sort (n < 32768), and the stable sort needs as
// many as n takes.
constexpr int kUnstableShift = 15;
int position_bits(int64_t n) { return n < kStableFrom ? kUnstableShift : 64 - __builtin_clzll(static_cast<uint64_t>(n - 1)); }

// The pairs packed (Packed above), or false when an id does not fit.
bool sort_packed(const int64_t* ids, int64_t n, int64_t* sorted, int64_t* order, bool split, ThreadPool& pool) {
  const int shift = position_bits(n);
  if (shift > 40) return false;
  const int64_t limit = int64_t{1} << (63 - shift);
  std::vector<Packed> items(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    if (ids[k] < 0 || ids[k] >= limit) return false;
    items[static_cast<size_t>(k)].key = static_cast<uint64_t>(ids[k]) << shift | static_cast<uint64_t>(k);
  }
  if (n >= kStableFrom) {
    sort_items<PackedByIdThenAt>(items, split, pool);
  } else {
    sort_items<PackedById<kUnstableShift>>(items, split, pool);
  }
  const uint64_t mask = (uint64_t{1} << shift) - 1;
  for (int64_t k = 0; k < n; ++k) {
    sorted[k] = static_cast<int64_t>(items[static_cast<size_t>(k)].key >> shift);
    order[k] = static_cast<int64_t>(items[static_cast<size_t>(k)].key & mask);
  }
  return true;
}

}  // namespace

void sort_ids(const int64_t* ids, int64_t n, int64_t* sorted, int64_t* order, bool on_pool) {
  if (n <= 0) return;
  ThreadPool& pool = shared_pool();
  // About 30 ns a pair on one core (n log n comparisons and moves).
  const bool split = on_pool && pool.worth_splitting(30 * n);
  if (sort_packed(ids, n, sorted, order, split, pool)) return;
  std::vector<IdAt> items(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) items[static_cast<size_t>(k)] = {ids[k], k};
  if (n >= kStableFrom) {
    sort_items<ByIdThenAt>(items, split, pool);
  } else {
    sort_items<ById>(items, split, pool);
  }
  for (int64_t k = 0; k < n; ++k) {
    sorted[k] = items[static_cast<size_t>(k)].id;
    order[k] = items[static_cast<size_t>(k)].at;
  }
}

#else

void sort_ids(const int64_t* ids, int64_t n, int64_t* sorted, int64_t* order, bool /*on_pool*/) {
  if (n <= 0) return;
  const auto input = torch::from_blob(const_cast<int64_t*>(ids), {n}, torch::kInt64);
  const auto [keys, positions] = input.sort(0);
  std::copy_n(keys.data_ptr<int64_t>(), n, sorted);
  std::copy_n(positions.data_ptr<int64_t>(), n, order);
}

#endif

}  // namespace embtrain
