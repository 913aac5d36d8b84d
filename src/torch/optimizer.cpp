// optimizer.cpp — Adam::step (dense and sparse) and make_optimizer.
#include "embtrain/torch/optimizer.h"

#include <sys/mman.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "embtrain/text/threads.h"
#include "embtrain/torch/float_sqrt.h"
#include "embtrain/torch/sgd.h"

namespace embtrain {

using torch::optim::AdamOptions;
using torch::optim::AdamParamState;

namespace {

// The tensor-op sequence below, fused into passes over the K rows. CPU index_add_ dispatches
// one add per row, which made it the slowest part of a step. Each line mirrors one op of the
// tensor version in float arithmetic (scalars rounded to float as TensorIterator does), so
// both give the same bits. The square root is ATen's (float_sqrt.h): LibTorch 2.x's float
// sqrt is not always the correctly rounded one that std::sqrt gives (float_sqrt.h gives the
// measured share), and parity with Python needs ATen's.

// The K rows are scattered over tables larger than the cache: each pass asks for the rows
// kAhead places on before it needs them (a hint; no value depends on it).
constexpr int64_t kAhead = 4;
inline void prefetch_row(const float* row, int64_t dim) {
  for (int64_t d = 0; d < dim; d += 16) __builtin_prefetch(row + d, 1);  // 64-byte lines
}

// Pass 1: the moments of the K rows; root[k, d] <- the new second moment (its sqrt comes next).
// The parameters' rows are fetched too, for pass 2.
__attribute__((target_clones("avx2", "default"))) void update_moments(
    float* __restrict m, float* __restrict v, float* __restrict root, const int64_t* row,
    const float* __restrict grad, int64_t k_rows, int64_t dim, float one_minus_beta1,
    float one_minus_beta2, const float* p) {
  for (int64_t k = 0; k < k_rows; ++k) {
    if (k + kAhead < k_rows) {
      const int64_t ahead = row[k + kAhead] * dim;
      prefetch_row(m + ahead, dim);
      prefetch_row(v + ahead, dim);
      prefetch_row(p + ahead, dim);
    }
    const int64_t base = row[k] * dim;
    const float* g = grad + k * dim;
    for (int64_t d = 0; d < dim; ++d) {
      const float old_m = m[base + d];
      m[base + d] = old_m + (g[d] - old_m) * one_minus_beta1;  // exp_avg.index_add_(update)
      const float old_v = v[base + d];
      const float v_update = (g[d] * g[d] - old_v) * one_minus_beta2;
      v[base + d] = old_v + v_update;     // exp_avg_sq.index_add_(update)
      root[k * dim + d] = v_update + old_v;  // update.add_(old): the same sum, the same bits
    }
  }
}

// Pass 2: p[row] += (m / (sqrt(v) + eps)) * -step_size, with root = sqrt(v) from ATen.
// numer = update.add_(old_exp_avg) is the new first moment, the same sum.
__attribute__((target_clones("avx2", "default"))) void update_rows(
    float* __restrict p, const float* __restrict m, const float* __restrict root,
    const int64_t* row, int64_t k_rows, int64_t dim, float eps_f, float minus_step) {
  for (int64_t k = 0; k < k_rows; ++k) {
    const int64_t base = row[k] * dim;
    for (int64_t d = 0; d < dim; ++d) {
      const float denom = root[k * dim + d] + eps_f;  // .sqrt_().add_(eps)
      p[base + d] = p[base + d] + (m[base + d] / denom) * minus_step;  // p.index_add_
    }
  }
}

// Rows a range of a split holds: a multiple of kVectorFloats / gcd(D, kVectorFloats), so that
// every range but the last starts and ends at a multiple of kVectorFloats elements. ATen's
// vectorised loops handle a tensor's tail apart from its body; with ranges so aligned each
// element is computed by the same path as when the whole tensor is one range.
constexpr int64_t kVectorFloats = 64;  // two AVX-512 vectors: more than any unrolled width
int64_t aligned_rows(int64_t dim) { return kVectorFloats / std::gcd(dim, kVectorFloats); }

// Rows a tile of the fused update holds: about kTileFloats elements (the tile's square roots
// and its moments stay in L1/L2 from the first pass to the second), a multiple of
// aligned_rows(dim) so that every tile but a range's last is a whole number of vectors.
constexpr int64_t kTileFloats = 4096;
int64_t tile_rows(int64_t dim) {
  const int64_t unit = aligned_rows(dim);
  return std::max<int64_t>(unit, kTileFloats / dim / unit * unit);
}

// SparseAdam's update of one table's K rows (sorted, unique) on the CPU, cut into chunks that
// any thread may take: each row's elements are updated by one thread, in order, so where the
// cuts fall changes no bit. A chunk goes tile by tile: moments, ATen's square root
// (float_sqrt.h), rows.
struct SparseRows {
  torch::Tensor param, exp_avg, exp_avg_sq, rows, values;  // [V, D] ×3, [K] int64, [K, D]
  float one_minus_beta1, one_minus_beta2, eps, minus_step;

  int64_t count() const { return rows.size(0); }
  int64_t dim() const { return values.size(1); }
  void update(int64_t k0, int64_t k1) const {
    const int64_t d = dim(), tile = tile_rows(d);
    const int64_t* row = rows.data_ptr<int64_t>();
    float* const p = param.data_ptr<float>();
    float* const m = exp_avg.data_ptr<float>();
    float* const v = exp_avg_sq.data_ptr<float>();
    const float* const grad = values.data_ptr<float>();
    thread_local std::vector<float> root;  // [tile, D] per thread
    root.resize(static_cast<size_t>(tile * d));
    for (int64_t t0 = k0; t0 < k1; t0 += tile) {
      const int64_t n = std::min(k1, t0 + tile) - t0;
      update_moments(m, v, root.data(), row + t0, grad + t0 * d, n, d, one_minus_beta1, one_minus_beta2, p);
      aten_sqrt(root.data(), root.data(), n * d);
      update_rows(p, m, root.data(), row + t0, n, d, eps, minus_step);
    }
  }
};

// A zero tensor shaped like `param`. On the CPU the moments of a large
// embedding are mapped zero pages: a sparse update touches only the rows in its
// batches, so rows never seen cost neither time nor memory.
torch::Tensor zero_moment(const torch::Tensor& param) {
  const size_t bytes = static_cast<size_t>(param.numel()) * param.element_size();
  if (!param.is_cpu() || !param.is_contiguous() || bytes < (size_t{1} << 20)) {
    return torch::zeros_like(param, torch::MemoryFormat::Preserve);
  }
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return torch::zeros_like(param, torch::MemoryFormat::Preserve);
  return torch::from_blob(
      memory, param.sizes(), [bytes](void* data) { ::munmap(data, bytes); }, param.options());
}

// torch.optim.Adam's single-tensor CPU update (PyTorch 2.x), operation for operation, on the
// elements [e0, e1) of flat views (the whole tensor when they cover it).
struct DenseUpdate {
  torch::Tensor param, grad, exp_avg, exp_avg_sq;
  double beta1, beta2, bias_correction1, bias_correction2, lr, eps;

  int64_t numel() const { return param.numel(); }
  // Every op is elementwise: a large table (dense Adam moves every row of it every step) can be
  // split at multiples of kVectorFloats elements.
  bool splittable() const {
    return param.is_cpu() && param.is_contiguous() && grad.is_contiguous() && exp_avg.is_contiguous() &&
           exp_avg_sq.is_contiguous() && grad.device() == param.device();
  }
  void update(int64_t e0, int64_t e1) const {
    torch::NoGradGuard no_grad;  // thread-local: each thread of the pool needs its own
    auto slice = [&](const torch::Tensor& t) { return e0 == 0 && e1 == t.numel() ? t : t.view(-1).narrow(0, e0, e1 - e0); };
    auto m = slice(exp_avg), v = slice(exp_avg_sq), p = slice(param);
    const auto g = slice(grad);
    // 2.x moves the first moment with lerp_ where 1.13 had mul_(beta1).add_(grad, 1 - beta1):
    // the same value up to one rounding, which parity needs to the bit.
    m.lerp_(g, 1 - beta1);
    v.mul_(beta2).addcmul_(g, g, 1 - beta2);
    // bias_correction2 ** 0.5 (2.x) rather than math.sqrt (1.13): glibc pow, not sqrt.
    const auto denom = (v.sqrt() / std::pow(bias_correction2, 0.5)).add_(eps);
    p.addcdiv_(m, denom, -lr / bias_correction1);
  }
  void update() const { update(0, numel()); }
};

// A step's updates on the pool. A dense tensor large enough to split is split over its
// elements, one region each. The rest run as one region of tasks that the threads take in turn
// (ThreadPool::run_tasks): each small dense tensor is one task (its ATen ops are dispatch, not
// arithmetic), and each table's rows are cut into about kChunksPerThread aligned chunks a
// thread. A thread that finishes early takes more: the rows are sorted by id, and in a
// vocabulary in frequency order the rare, cold ones come last.
void run_updates(const std::vector<DenseUpdate>& dense, const std::vector<SparseRows>& sparse) {
  ThreadPool& pool = shared_pool();
  std::vector<const DenseUpdate*> small;
  for (const auto& update : dense) {
    if (update.splittable() && pool.worth_splitting(8 * update.numel())) {
      pool.run(update.numel(), std::max(pool.grain_for(8), kVectorFloats),
               [&](int64_t e0, int64_t e1) { update.update(e0, e1); }, kVectorFloats);
    } else {
      small.push_back(&update);
    }
  }
  int64_t row_work = 0;
  for (const auto& table : sparse) row_work += 4 * table.count() * table.dim();
  if (!pool.worth_splitting(row_work)) {
    for (const auto* update : small) update->update();
    for (const auto& table : sparse) table.update(0, table.count());
    return;
  }
  struct Chunk {
    const SparseRows* table;
    int64_t k0, k1;
  };
  std::vector<Chunk> chunks;
  for (const auto& table : sparse) {
    const int64_t rows = pool.chunk_length(table.count(), pool.grain_for(4 * table.dim()), aligned_rows(table.dim()));
    for (int64_t k = 0; k < table.count(); k += rows) chunks.push_back({&table, k, std::min(table.count(), k + rows)});
  }
  const auto tasks = static_cast<int64_t>(small.size() + chunks.size());
  pool.run_tasks(tasks, [&](int64_t task) {
    if (task < static_cast<int64_t>(small.size())) return small[static_cast<size_t>(task)]->update();
    const Chunk& chunk = chunks[static_cast<size_t>(task) - small.size()];
    chunk.table->update(chunk.k0, chunk.k1);
  });
}

}  // namespace

torch::Tensor closure_loss(const torch::optim::Optimizer::LossClosure& closure) {
  if (!closure) return {};
  torch::AutoGradMode enable_grad(true);
  return closure();
}

Adam::Adam(std::vector<torch::Tensor> params, AdamOptions options)
    : torch::optim::Optimizer({torch::optim::OptimizerParamGroup(std::move(params))},
                              std::make_unique<AdamOptions>(options)) {}

torch::Tensor Adam::step(LossClosure closure) {
  const torch::Tensor loss = closure_loss(closure);
  torch::NoGradGuard no_grad;
  std::vector<DenseUpdate> dense;
  std::vector<SparseRows> sparse;
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const AdamOptions&>(group.options());
    const double beta1 = std::get<0>(options.betas());
    const double beta2 = std::get<1>(options.betas());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      // The base class keys its state by the TensorImpl (LibTorch 2.x: the pointer itself).
      void* const key = p.unsafeGetTensorImpl();
      auto found = state_.find(key);
      if (found == state_.end()) {
        auto state = std::make_unique<AdamParamState>();
        state->step(0);
        state->exp_avg(zero_moment(p));
        state->exp_avg_sq(zero_moment(p));
        found = state_.emplace(key, std::move(state)).first;
      }
      auto& state = static_cast<AdamParamState&>(*found->second);
      state.step(state.step() + 1);
      auto& exp_avg = state.exp_avg();
      auto& exp_avg_sq = state.exp_avg_sq();
      const double bias_correction1 = 1 - std::pow(beta1, state.step());
      const double bias_correction2 = 1 - std::pow(beta2, state.step());
      const auto& grad = p.grad();
      if (!grad.is_sparse()) {
        // torch.optim.Adam's single-tensor CPU update (PyTorch 2.x), operation for operation.
        dense.push_back({p, grad, exp_avg, exp_avg_sq, beta1, beta2, bias_correction1, bias_correction2,
                         options.lr(), options.eps()});
        continue;
      }
      // torch.optim.SparseAdam's update on the K rows present in the gradient.
      const auto coalesced = grad.coalesce();
      const auto rows = coalesced._indices()[0];    // [K] int64, unique
      const auto values = coalesced._values();      // [K, D]
      if (rows.numel() == 0) continue;
      const double step_size = options.lr() * std::sqrt(bias_correction2) / bias_correction1;
      if (p.is_cpu() && p.scalar_type() == torch::kFloat32 && p.is_contiguous()) {
        // Scalars rounded to float as TensorIterator rounds them.
        sparse.push_back({p, exp_avg, exp_avg_sq, rows.contiguous(), values.contiguous(),
                          static_cast<float>(1 - beta1), static_cast<float>(1 - beta2),
                          static_cast<float>(options.eps()), static_cast<float>(-step_size)});
        continue;
      }
      const auto old_exp_avg = exp_avg.index_select(0, rows);        // [K, D]
      auto exp_avg_update = values.sub(old_exp_avg).mul_(1 - beta1);  // [K, D]
      exp_avg.index_add_(0, rows, exp_avg_update);
      const auto old_exp_avg_sq = exp_avg_sq.index_select(0, rows);
      auto exp_avg_sq_update = values.pow(2).sub_(old_exp_avg_sq).mul_(1 - beta2);
      exp_avg_sq.index_add_(0, rows, exp_avg_sq_update);
      auto numer = exp_avg_update.add_(old_exp_avg);
      const auto denom = exp_avg_sq_update.add_(old_exp_avg_sq).sqrt_().add_(options.eps());
      p.index_add_(0, rows, numer.div_(denom).mul(-step_size));
    }
  }
  run_updates(dense, sparse);
  return loss;
}

void Adam::save(torch::serialize::OutputArchive& archive) const {
  torch::optim::serialize<AdamParamState, AdamOptions>(archive, *this);
}

void Adam::load(torch::serialize::InputArchive& archive) {
  torch::optim::serialize<AdamParamState, AdamOptions>(archive, *this);
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(Classifier& model,
                                                        const TrainConfig& config) {
  const auto options = AdamOptions(config.lr);
  std::vector<torch::Tensor> trained;  // a frozen embedding is left out
  for (const auto& parameter : model->parameters()) {
    if (parameter.requires_grad()) trained.push_back(parameter);
  }
  if (config.optimizer == OptimizerKind::sgd) {
    return std::make_unique<Sgd>(trained, config.lr);
  }
  return std::make_unique<Adam>(trained, options);
}

}  // namespace embtrain
