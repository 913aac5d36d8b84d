// sparse_grad.cpp — coalesced_grad: PyTorch's sparse lookup gradient after coalesce() (sparse_grad.h).
#include "embtrain/torch/sparse_grad.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "embtrain/text/threads.h"
#include "embtrain/torch/id_sort.h"

namespace embtrain {
namespace {

// The hot loop of a sparse step, compiled for AVX2 too (no FMA: every product is rounded as
// in PyTorch). Walks the uses in `order` (ids sorted): a use opens its row's slot of `values`
// with its value, and adds it when the row is already open.
__attribute__((target_clones("avx2", "default"))) void accumulate_uses(
    float* __restrict values, const float* __restrict source, const int64_t* id, const int64_t* order,
    const int64_t* source_row, const float* scale, bool from_zero, int64_t uses, int64_t dim, int64_t* rows) {
  int64_t slot = -1, previous = -1;
  for (int64_t k = 0; k < uses; ++k) {
    const int64_t u = order[k];
    const float* __restrict g = source + source_row[u] * dim;
    const float factor = scale[u];
    const bool opens = id[u] != previous;
    if (opens) {
      previous = id[u];
      rows[++slot] = previous;
    }
    float* __restrict row = values + slot * dim;
    if (opens && from_zero) {
      for (int64_t d = 0; d < dim; ++d) row[d] = 0.0f + g[d] * factor;
    } else if (opens) {
      for (int64_t d = 0; d < dim; ++d) row[d] = g[d] * factor;
    } else if (from_zero) {
      for (int64_t d = 0; d < dim; ++d) row[d] += 0.0f + g[d] * factor;
    } else {
      for (int64_t d = 0; d < dim; ++d) row[d] += g[d] * factor;
    }
  }
}

}  // namespace

SortedIds sort_ids_ahead(const torch::Tensor& ids) {
  const int64_t uses = ids.numel();
  ThreadPool& pool = shared_pool();
  if (!pool.worth_splitting(30 * uses)) return {};  // sort_ids' cost per id; never on one thread
  SortedIds ahead{torch::empty({uses}, torch::kInt64), torch::empty({uses}, torch::kInt64)};
  pool.launch([ids, ahead, uses] {  // the tensors are held by value until the sort ends
    sort_ids(ids.data_ptr<int64_t>(), uses, ahead.sorted.data_ptr<int64_t>(), ahead.order.data_ptr<int64_t>(),
             /*on_pool=*/false);
  });
  return ahead;
}

torch::Tensor coalesced_grad(const int64_t* id, int64_t uses, const UseValues& use, int64_t rows,
                             const SortedIds& ahead) {
  const int64_t dim = use.source.size(1);
  std::vector<int64_t> sorted, order;  // [uses] each, unless sorted ahead
  const int64_t* sorted_ids = nullptr;
  const int64_t* sorted_order = nullptr;
  if (ahead.sorted.defined()) {
    shared_pool().wait_launched();
    sorted_ids = ahead.sorted.data_ptr<int64_t>();
    sorted_order = ahead.order.data_ptr<int64_t>();
  } else {
    sorted.resize(static_cast<size_t>(uses));
    order.resize(static_cast<size_t>(uses));
    sort_ids(id, uses, sorted.data(), order.data());
    sorted_ids = sorted.data();
    sorted_order = order.data();
  }
  // first[s]: where distinct row s starts in the sorted order ([K + 1]).
  std::vector<int64_t> first;
  first.reserve(static_cast<size_t>(uses) + 1);
  for (int64_t k = 0; k < uses; ++k) {
    if (k == 0 || sorted_ids[k] != sorted_ids[k - 1]) first.push_back(k);
  }
  const auto distinct = static_cast<int64_t>(first.size());
  first.push_back(uses);

  auto values = torch::empty({distinct, dim}, use.source.options());  // [K, D]
  auto indices = torch::empty({1, distinct}, torch::kInt64);         // [1, K], sorted, unique
  float* value_rows = values.data_ptr<float>();
  int64_t* row_ids = indices.data_ptr<int64_t>();
  const float* source = use.source.data_ptr<float>();
  // A range of uses [u0, u1) sums the rows that start in it, whole.
  const auto rows_starting_in = [&](int64_t u0, int64_t u1) {
    const auto s0 = std::lower_bound(first.begin(), first.end() - 1, u0) - first.begin();
    const auto s1 = std::lower_bound(first.begin(), first.end() - 1, u1) - first.begin();
    if (s1 <= s0) return;
    const int64_t from = first[static_cast<size_t>(s0)], to = first[static_cast<size_t>(s1)];
    accumulate_uses(value_rows + s0 * dim, source, id, sorted_order + from, use.source_row, use.scale, use.from_zero,
                    to - from, dim, row_ids + s0);
  };
  ThreadPool& pool = shared_pool();
  if (pool.worth_splitting(uses * dim)) {
    pool.run_interleaved(uses, pool.grain_for(dim), rows_starting_in);  // sorted by id: see optimizer.cpp
  } else {
    rows_starting_in(0, uses);
  }
  // Indices are in range, sorted and unique by construction: skip the checks.
  auto grad = at::_sparse_coo_tensor_unsafe(indices, values, {rows, dim});
  grad._coalesced_(true);
  return grad;
}

torch::Tensor coalesced_grad(const torch::Tensor& values, const int64_t* id, int64_t uses, int64_t rows) {
  std::vector<int64_t> self(static_cast<size_t>(uses));
  std::iota(self.begin(), self.end(), int64_t{0});
  const std::vector<float> ones(static_cast<size_t>(uses), 1.0f);  // x · 1 is x, to the bit
  return coalesced_grad(id, uses, {values, self.data(), ones.data(), false}, rows);
}

torch::Tensor coalesced_uses(const torch::Tensor& grad, int64_t rows) {
  const torch::Tensor ids = grad._indices()[0].contiguous();  // [uses]
  return coalesced_grad(grad._values().contiguous(), ids.data_ptr<int64_t>(), ids.numel(), rows);
}

}  // namespace embtrain
