// tune_child.h — one trial of `embtrain tune` as a child process: how it is started, how its
// epochs are read while it runs, and which epoch's weights it kept once it ended.
//
// The tuner (tune.cpp) owns the search; these read a trial's run folder as `embtrain train`
// writes it (metrics.jsonl a line per epoch, report.json at the end) and know nothing of the
// sampler. Not thread-safe: the tuner polls its children from one thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "embtrain/text/tune.h"

namespace embtrain::cli {

// Starts this binary with `arguments` (argv[0] first), stderr to `log_path`, stdout to
// /dev/null. Throws Error when it cannot start.
pid_t spawn_train(const std::vector<std::string>& arguments, const std::string& log_path);

// Appends to trial.metric the valid metric of each complete line of `metrics_path` past
// `lines_read` (a line without its newline is still being written), advancing it. Throws
// Error (usage) naming the file when a line lacks the metric.
void read_new_epochs(const std::string& metrics_path, const TuneMetric& metric, Trial& trial, size_t& lines_read);

// The epoch whose weights a finished run with train.early_stopping kept (report.json's
// early_stopping.best_epoch); 0 (the last) when the report does not say.
int64_t kept_epoch_of(const std::string& report_path);

}  // namespace embtrain::cli
