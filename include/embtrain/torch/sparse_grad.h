// sparse_grad.h — a lookup's sparse gradient, coalesced as PyTorch coalesces it, on the pool.
//
// PyTorch's sparse lookups (embedding, embedding_bag) leave one gradient value per use of a row:
// the gradient of the use's output row times a scale (embedding_bag's mean: 1 / bag size, in
// float). SparseAdam then calls coalesce(), which sums each row's values in the order of
// ids.sort(0), LibTorch's unstable sort (PyTorch 2.x): the first copied, the others added. Equal
// ids come out of that sort in an order only it defines, and float addition is not associative,
// so the same sort (sort_ids, torch/id_sort.h) is what gives the same sums to the bit.
//
// Each distinct row is summed whole on one thread, in that order; the split over the pool (by
// uses, so that a frequent row does not load one thread) changes no bit.
//
// Thread-safety: as ThreadPool::run (one caller at a time).
#pragma once

#include <torch/torch.h>

namespace embtrain {

// What use u of a row adds to it: source[source_row[u]] [D] × scale[u] (+0 first, when
// `from_zero`: a value that autograd made as a sum from 0, bmm's loop, turns -0 into +0).
struct UseValues {
  const torch::Tensor& source;  // [S, D] contiguous float
  const int64_t* source_row;    // [uses]
  const float* scale;           // [uses]
  bool from_zero = false;
};

// A lookup's ids sorted by sort_ids ahead of its backward pass: the sort runs on a worker of
// the pool (ThreadPool::launch) while the training thread computes the forward pass, the dense
// layers and their backward, which need no sorted ids. Empty when not started.
struct SortedIds {
  torch::Tensor sorted, order;  // [uses] int64 each, valid once shared_pool().wait_launched()
};
// Starts sorting `ids` ([uses] int64, contiguous, on the CPU; kept alive until the sort ends)
// when the pool has a thread to spare and the sort pays for the hand-off; else returns empty.
SortedIds sort_ids_ahead(const torch::Tensor& ids);

// For `uses` uses of rows `id` [uses]: the coalesced sparse gradient of a [rows, D] table:
// indices [1, K] sorted and unique, values [K, D], marked coalesced. `ahead`, when started,
// holds `id` sorted already (sort_ids_ahead); the result is the same bits either way.
torch::Tensor coalesced_grad(const int64_t* id, int64_t uses, const UseValues& use, int64_t rows,
                             const SortedIds& ahead = {});

// The same for one value per use (`values` [uses, D]): what coalesce() makes of the sparse
// tensor (id, values).
torch::Tensor coalesced_grad(const torch::Tensor& values, const int64_t* id, int64_t uses, int64_t rows);
// The same for a sparse gradient of one row per use ([rows, D], uncoalesced).
torch::Tensor coalesced_uses(const torch::Tensor& grad, int64_t rows);

}  // namespace embtrain
