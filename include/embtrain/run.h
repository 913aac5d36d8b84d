// run.h — one `embtrain train` run: data -> vocab -> model -> train -> files.
//
// This header is torch-free so that main can fill RunOptions without loading
// LibTorch; run_training itself lives in the torch library, reached through
// backend.h.
#pragma once

#include <string>

namespace embtrain {

struct Config;

struct RunOptions {
  std::string output_dir;  // where config.json, vocab.txt, model.pt, metrics.jsonl, report.json go
  bool force = false;      // replace an existing run in output_dir
  bool quiet = false;      // no progress line, warnings only
  bool json = false;       // print a JSON summary on stdout
};

// Writes the run into options.output_dir. Throws Error.
void run_training(const Config& config, const RunOptions& options);

// Files a finished run holds; an output folder with any of them is a run.
extern const char* const kRunFiles[5];

}  // namespace embtrain
