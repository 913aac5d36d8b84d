// id_sort.h — a batch's token ids sorted as LibTorch's `ids.sort(0)` sorts them, on the pool.
//
// Why the same order matters: a row's gradient is the sum of its tokens' values, taken in the
// order the sort leaves equal ids (PyTorch's coalesce() sums them so), and float addition is
// not associative. ATen sorts a 1-D int64 CPU tensor of n elements in one of two ways
// (LibTorch 2.x, measured against Python's torch in tests/torch/test_id_sort.cpp):
//   n <  32768 (at::internal::GRAIN_SIZE): std::sort of (id, position) pairs by id, an
//              introsort whose order among equal ids only that algorithm defines;
//   n >= 32768: fbgemm's radix sort, which is stable (equal ids in position order).
// sort_ids gives the same `sorted` and `order` on every thread count: the introsort's first
// partitions are made as std::sort makes them, and the parts they leave, which std::sort
// would go on to sort independently, are sorted on the threads of the pool (text/threads.h).
//
// The pairs are sorted packed into one word (id << 15 | position, or as many position bits as n
// needs past 32767) when the ids fit, which halves the bytes the sort moves; the comparisons
// see the same outcomes, so the sort makes the same moves. Negative or huge ids take the pairs.
//
// The partitions are libstdc++'s (median of three by its own __move_median_to_first, then
// Hoare's unguarded partition, heap sort by its own __partial_sort where the depth runs out,
// then its final insertion sort), with Hoare's scans done a block at a time without branches:
// the same swaps in the same order (id_sort.cpp says why), checked against std::sort on 2,000
// random batches and against ATen's sort (tests/torch/test_id_sort.cpp).
//
// Limits: this is the algorithm of libstdc++'s std::sort, which ATen was compiled with; other
// standard libraries sort on one thread through ATen itself.
//
// Thread-safety: as ThreadPool::run (one caller at a time).
#pragma once

#include <cstdint>

namespace embtrain {

// sorted[k]: the k-th smallest of ids[0, n); order[k]: its position in `ids`. Both [n].
// `on_pool` false sorts on the calling thread alone (from a job the pool runs, which must not
// call the pool): the same result.
void sort_ids(const int64_t* ids, int64_t n, int64_t* sorted, int64_t* order, bool on_pool = true);

}  // namespace embtrain
