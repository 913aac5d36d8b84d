// distributed.h — the workers of a data-parallel run, over PyTorch's c10d (ProcessGroupGloo).
//
// Owns: joining the group (a FileStore for `train --nproc`, a TCPStore for torchrun), the check
// that every worker trains the same run, and the collectives the trainer needs. Every worker
// holds the whole model and draws the same global batch order; worker r trains on its slice
// of each global batch (slice()), and sum_gradients() makes every worker's gradients the
// gradient of the global batch's mean loss:
//   dense gradients only: one allreduce of all of them flattened [P] (+ the loss, a stop flag);
//   with a sparse embedding gradient [V, D] (sparse_adam): an allgather of each worker's dense
//   gradients (summed in rank order), then one of its rows [K_r] and values [K_r, D],
//   concatenated in rank order and coalesced once, so the gradient stays sparse.
// Results differ from one process only in the order of those sums (1e-6 in the tests).
// A collective that fails (a worker gone) or waits past train.dist_timeout throws Error.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "embtrain/run.h"
#include "embtrain/text/config.h"
#include "embtrain/text/fingerprint.h"
#include "embtrain/text/metrics.h"

namespace c10d {
class Backend;
class Store;
}  // namespace c10d

namespace embtrain {

class Workers {
 public:
  // Joins the group that `setup` describes, once every worker holds the same `run` (config,
  // vocabulary, data, where a resume starts): otherwise every worker throws an Error naming
  // the ranks and what differs from rank 0's. `timeout` bounds every collective (a lost
  // worker); the meeting waits up to `setup_timeout` (workers load their data first).
  Workers(const WorkerSetup& setup, const Fingerprint& run, std::chrono::seconds timeout,
          std::chrono::seconds setup_timeout);
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  int64_t rank() const { return rank_; }
  int64_t size() const { return size_; }

  // This worker's part [begin, end) of a global batch of `count` examples: contiguous, the
  // first count % size workers one example longer. Empty when count < size.
  std::pair<int64_t, int64_t> slice(int64_t count) const { return slice(count, rank_); }
  // Worker `rank`'s part.
  std::pair<int64_t, int64_t> slice(int64_t count, int64_t rank) const;

  // Sums the gradients of `parameters` over the workers (undefined ones count as zero; a
  // sparse one, at most one, must be coalesced). `loss` (this worker's share of the global
  // batch's mean loss) and `stop` are summed along: returns {the global batch's loss, whether
  // any worker asked to stop}. `where` names the step in errors.
  std::pair<double, bool> sum_gradients(const std::vector<torch::Tensor>& parameters,
                                        const std::vector<bool>& sparse, double loss, bool stop,
                                        const std::string& where);

  // The word objectives' step: every parameter's gradient is sparse with one row per use
  // (undefined for an empty slice), and each becomes the workers' rows and values concatenated
  // in rank order. Slices are contiguous in example order, so that is the one-process
  // gradient's uses in their order. `loss` (float64) and `stop` are summed along: returns {the
  // global batch's loss, whether any worker asked to stop}.
  std::pair<double, bool> gather_uses(const std::vector<torch::Tensor>& parameters, double loss, bool stop,
                                      const std::string& where);

  // Sums counts and losses over the workers (each tallied its own slices or shard); `classes`:
  // the per-label counts' length (0 in binary runs; a worker with no examples has none).
  void sum(Tally& tally, size_t classes, const std::string& where);

  // What this worker sent per step on average so far: "1.2 KB dense + 34.5 KB sparse".
  std::string traffic() const;

 private:
  void check_same(const Fingerprint& run);
  torch::Tensor gather_step(const torch::Tensor& dense, const torch::Tensor& embedding);
  std::vector<torch::Tensor> allgather(const torch::Tensor& mine);  // [W] copies of each one's
  [[noreturn]] void lost(const std::exception& e, const std::string& where) const;

  int64_t rank_ = 0, size_ = 1;
  int64_t steps_ = 0, dense_bytes_ = 0, sparse_bytes_ = 0;  // sent by this worker
  std::chrono::seconds timeout_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::Backend> group_;
};

// Joins the group for a run whose fingerprint is `run`, with its epochs and where it starts
// (`resume_at`: "epoch E, step S", or "" for a new run) added, so that every worker must hold
// the same; train.dist_timeout bounds each collective. Shared by both objectives.
std::unique_ptr<Workers> join_workers(const WorkerSetup& setup, Fingerprint run, const TrainConfig& train,
                                      const std::string& resume_at);

}  // namespace embtrain
