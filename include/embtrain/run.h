// run.h — one `embtrain train` run: data -> vocab -> model -> train -> files.
//
// This header is torch-free so that the CLI can fill RunOptions without loading
// LibTorch; run_training itself lives in the torch library, reached through
// backend.h, and takes the data that prepare.h made while LibTorch loaded.
#pragma once

#include <string>

namespace embtrain {

struct Config;
struct PreparedData;

struct RunOptions {
  std::string output_dir;  // where config.json, vocab.txt, model.pt, metrics.jsonl, report.json go
  bool force = false;      // replace an existing run in output_dir
  bool quiet = false;      // no progress line, warnings only
  bool json = false;       // print a JSON summary on stdout
  bool resume = false;     // continue the run in output_dir from its checkpoint.pt
};

// Trains on `data` (from prepare_data) and writes the run into
// options.output_dir, which RunDir::prepare_new or open_resumable has vetted. Returns the exit code:
// 0, or 128 + the signal that interrupted it (after writing a checkpoint and the
// report so far). Throws Error.
int run_training(const Config& config, const RunOptions& options, PreparedData& data);

}  // namespace embtrain
