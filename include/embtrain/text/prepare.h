// prepare.h — everything a training run needs before tensors exist.
//
// The data read, the vocabulary built and every
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

}  // namespace embtrain
