// prepare.h — everything a training run needs before tensors exist.
//
// The run folder is checked, the data read, the vocabulary built and every
// split encoded. This is text-side code (no torch), so `embtrain train` runs it
// while LibTorch loads on another thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "embtrain/text/dataset.h"
#include "embtrain/text/vocab.h"

namespace embtrain {

struct Config;
struct RunOptions;

struct PreparedData {
  Vocab vocab;
  std::vector<int64_t> counts;  // [V] occurrences of each vocabulary token in the training data
  std::vector<int64_t> positive_counts;  // [V] of those, occurrences in label-1 examples
  Corpus train;
  std::optional<Corpus> valid, test;
};

// Reads data.train (and valid/test), builds or loads the vocabulary, encodes.
PreparedData prepare_data(const Config& config);

// Files a finished run holds; an output folder with any of them is a run.
extern const char* const kRunFiles[8];

// Refuses a folder that holds a run unless options.force (then removes that
// run's files); creates the folder and checks that it is writable.
void prepare_run_dir(const RunOptions& options);

}  // namespace embtrain
