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
#include "embtrain/text/ngrams.h"
#include "embtrain/text/vocab.h"

namespace embtrain {

struct Config;
struct RunOptions;

struct PreparedData {
  Vocab vocab;
  int64_t rows = 0;             // R: rows of the embedding table, V words then any buckets
  std::vector<int64_t> counts;  // [R] occurrences of each row in the training data
  std::vector<int64_t> positive_counts;  // [R] of those, occurrences in label-1 examples
  std::vector<int64_t> label_counts;     // [R, C] multi-label runs: occurrences per label
  BucketNames bucket_names;     // the n-grams of the training data in each bucket row
  std::vector<std::string> labels;  // multi-label runs: the label set in output order ([] binary)
  Corpus train;
  std::optional<Corpus> valid, test;
};

// Reads data.train (and valid/test), builds or loads the vocabulary, encodes.
PreparedData prepare_data(const Config& config);

}  // namespace embtrain
