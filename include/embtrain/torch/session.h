// session.h — Session: everything one `train` run trains with and writes, made by set_up and
// passed through its phases (train_with_hooks, write_artefacts, summarise in run.cpp).
//
// set_up owns the start of a run: threads, device, the model (from pretrained vectors if asked)
// and its optimizer, config.json and vocab.txt (so an interrupted run can resume), the checks a
// resume makes against its checkpoint, and joining the workers of a data-parallel run.
// Thread-safety: one Session per process, used from the training thread.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "embtrain/run.h"
#include "embtrain/text/config.h"
#include "embtrain/text/prepare.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/text/vectors.h"
#include "embtrain/torch/distributed.h"
#include "embtrain/torch/model.h"
#include "embtrain/torch/trainer.h"

namespace embtrain {

using Clock = std::chrono::steady_clock;

// Everything one run trains with and writes, made by set_up and passed through the phases.
struct Session {
  Session(const Config& config_, const RunOptions& options_, PreparedData& data_)
      : config(config_), options(options_), data(data_), run_dir(RunDir::at(options_.output_dir)),
        device(worker_device(resolve_device(config_.train.device), options_.workers)) {}

  // A worker of a data-parallel run on CUDA takes GPU LOCAL_RANK unless train.device names one.
  static torch::Device worker_device(torch::Device device, const WorkerSetup& workers) {
    if (!device.is_cuda() || device.has_index() || !workers.distributed()) return device;
    const auto gpus = static_cast<int64_t>(torch::cuda::device_count());
    return {torch::kCUDA, static_cast<c10::DeviceIndex>(workers.local_rank % std::max<int64_t>(gpus, 1))};
  }

  const Config& config;
  const RunOptions& options;
  PreparedData& data;
  RunDir run_dir;
  torch::Device device;
  std::unique_ptr<Workers> workers;  // a data-parallel run's group; null for one process
  bool writes = true;                // this process writes the run folder (rank 0 of a group)
  std::optional<WordVectors> pretrained;
  Classifier model{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  nlohmann::json resolved;               // config.json: the config with absolute paths
  std::string fingerprint;       // what this run's checkpoints belong to (text/fingerprint.h)
  TrainProgress progress;        // where training starts (a resume) and, after training, ends
  // The rows training can move (every row of the training data, and row 0, flatten's padding)
  // [K] and their initial values [K, D]: every other row ends as it started, so `before` is
  // `after` with these put back, instead of the whole table drawn again.
  torch::Tensor initial_rows, initial_values;
  std::vector<nlohmann::json> epochs;    // metrics.jsonl's records so far, one per epoch
  int64_t extended_from = 0;     // a resume that adds epochs to a finished run: its old epochs
  int signal_number = 0;         // the signal that stopped training, or 0
  Clock::time_point started;
  Clock::time_point phase_started;
};

// Threads, device, model, optimizer; config.json and vocab.txt first, so that an interrupted
// run can resume; then the checkpoint of a resume (checked against this run's fingerprint).
// Throws Error.
Session set_up(const Config& config, const RunOptions& options, PreparedData& data);
// Logs (at debug level) the time since the last phase and the peak RSS so far.
void phase_done(Session& session, const char* phase);
// metrics.jsonl's lines, as checkpoints keep them.
std::string metrics_text(const std::vector<nlohmann::json>& epochs);
// checkpoint.pt now, from the session's model, optimizer and progress.
void save_checkpoint_of(Session& session);

}  // namespace embtrain
