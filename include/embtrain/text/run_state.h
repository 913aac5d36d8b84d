// run_state.h — RunState: how a run ended, said the same way by every command.
//
// `train` writes it twice: as report.json's "state" (what inspect and report.html show) and as
// the small state.json beside it (what predict, eval, neighbors and export read without parsing
// a large report). A run folder without it (an older embtrain) reads as finished. A run being
// written right now is not a RunState: RunDir names its writer (run_dir.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace embtrain {

class RunDir;

struct RunState {
  enum class Status { finished, interrupted, stopped_early };
  Status status = Status::finished;
  int64_t epochs = 0;            // train.epochs: the epochs asked for (0: unknown)
  int64_t epochs_completed = 0;  // whole epochs trained
  // interrupted: the signal, and the epoch and step (1-based) it stopped before
  int64_t signal = 0, at_epoch = 0, at_step = 0;
  bool resumable = false;        // a checkpoint.pt was written for it
  int64_t best_epoch = 0;        // train.early_stopping: the epoch whose parameters are kept (0: off)
  std::string best_metric;       // ... and the valid metric that chose it
  int64_t extended_from = 0;     // a `--resume` that added epochs to a finished run: its old epochs

  // One line: "finished: all 10 epochs", "interrupted by SIGTERM at epoch 5 of 10, step 78
  // (4 epochs completed); resumable: embtrain train --resume DIR", "stopped early at epoch 12 of
  // 20 (train.early_stopping): epoch 9, the best valid accuracy, is kept".
  std::string describe(const std::string& dir) const;
  bool finished_cleanly() const { return status != Status::interrupted; }
};

nlohmann::json to_json(const RunState& state);
// Throws Error (runtime) naming `where` and the field on a wrong type or an unknown status.
RunState run_state_from_json(const nlohmann::json& state, const std::string& where);
// The finished run's state.json; finished (epochs unknown) when the file is absent.
RunState read_run_state(const RunDir& run);
// For predict, eval, neighbors and export: a warning on stderr when the run did not finish
// (it was interrupted), so that its answers are not taken for the finished model's.
void warn_if_unfinished(const RunDir& run);

}  // namespace embtrain
