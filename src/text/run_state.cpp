// run_state.cpp — RunState: to and from JSON, one line for people, the readers' warning.
#include "embtrain/text/run_state.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstring>

#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/text/run_dir.h"

namespace embtrain {

using nlohmann::json;

namespace {

const char* status_name(RunState::Status status) {
  switch (status) {
    case RunState::Status::finished: return "finished";
    case RunState::Status::interrupted: return "interrupted";
    case RunState::Status::stopped_early: return "stopped_early";
  }
  return "finished";
}

std::string signal_name(int64_t signal) {
  if (signal == SIGINT) return "SIGINT (Ctrl-C)";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

std::string of_epochs(int64_t epochs) { return epochs > 0 ? " of " + std::to_string(epochs) : ""; }

std::string kept(const RunState& state) {
  return "epoch " + std::to_string(state.best_epoch) + ", the best on valid " + state.best_metric + ", is kept";
}

}  // namespace

std::string RunState::describe(const std::string& dir) const {
  std::string line;
  switch (status) {
    case Status::finished:
      line = epochs > 0 ? "finished: all " + std::to_string(epochs) + " epochs" : "finished";
      if (extended_from > 0) line += " (extended from " + std::to_string(extended_from) + ")";
      if (best_epoch > 0) line += "; " + kept(*this);
      return line;
    case Status::stopped_early:
      return "stopped early at epoch " + std::to_string(epochs_completed) + of_epochs(epochs) +
             " (train.early_stopping): " + kept(*this);
    case Status::interrupted:
      line = "interrupted by " + signal_name(signal) + " at epoch " + std::to_string(at_epoch) + of_epochs(epochs) +
             ", step " + std::to_string(at_step) + " (" + std::to_string(epochs_completed) +
             (epochs_completed == 1 ? " epoch" : " epochs") + " completed)";
      return line + (resumable ? "; resumable: embtrain train --resume " + dir : "; not resumable (no checkpoint.pt)");
  }
  return line;
}

json to_json(const RunState& state) {
  json out = {{"status", status_name(state.status)},
              {"epochs", state.epochs},
              {"epochs_completed", state.epochs_completed},
              {"resumable", state.resumable}};
  if (state.status == RunState::Status::interrupted) {
    out["signal"] = state.signal;
    out["at"] = {{"epoch", state.at_epoch}, {"step", state.at_step}};
  }
  if (state.best_epoch > 0) out["best"] = {{"epoch", state.best_epoch}, {"metric", state.best_metric}};
  if (state.extended_from > 0) out["extended_from"] = state.extended_from;
  return out;
}

RunState run_state_from_json(const json& in, const std::string& where) {
  auto fail = [&](const std::string& field) {
    return Error::runtime(where + ": field '" + field + "' is missing or of the wrong type");
  };
  if (!in.is_object()) throw fail("state");
  auto integer = [&](const json& object, const char* key, int64_t fallback) {
    if (!object.contains(key)) return fallback;
    if (!object[key].is_number_integer()) throw fail(key);
    return object[key].get<int64_t>();
  };
  RunState state;
  const json status = in.value("status", json("finished"));
  if (status == "interrupted") state.status = RunState::Status::interrupted;
  else if (status == "stopped_early") state.status = RunState::Status::stopped_early;
  else if (status != "finished") throw fail("status");
  state.epochs = integer(in, "epochs", 0);
  state.epochs_completed = integer(in, "epochs_completed", 0);
  state.signal = integer(in, "signal", 0);
  state.extended_from = integer(in, "extended_from", 0);
  if (in.contains("resumable")) {
    if (!in["resumable"].is_boolean()) throw fail("resumable");
    state.resumable = in["resumable"].get<bool>();
  }
  if (in.contains("at")) {
    if (!in["at"].is_object()) throw fail("at");
    state.at_epoch = integer(in["at"], "epoch", 0);
    state.at_step = integer(in["at"], "step", 0);
  }
  if (in.contains("best")) {
    if (!in["best"].is_object()) throw fail("best");
    state.best_epoch = integer(in["best"], "epoch", 0);
    if (in["best"].contains("metric") && !in["best"]["metric"].is_string()) throw fail("best.metric");
    state.best_metric = in["best"].value("metric", std::string());
  }
  return state;
}

RunState read_run_state(const RunDir& run) {
  if (!run.has(run_file::state)) return RunState{};
  const std::string path = run.file(run_file::state);
  json parsed = json::parse(read_file(path, "state.json"), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) throw Error::runtime(path + " is not valid JSON: run `embtrain train` again");
  return run_state_from_json(parsed, path);
}

void warn_if_unfinished(const RunDir& run) {
  const RunState state = read_run_state(run);
  if (state.finished_cleanly()) return;
  spdlog::warn("'{}' did not finish: {}; its model is the one at that point", run.path(), state.describe(run.path()));
}

}  // namespace embtrain
