// word_batch.h — what a word epoch trains on: its centres, each batch's examples and their
// negatives, every draw from the run's generator in word_objective.h's order.
//
// Thread-safety: none needed; the training thread calls everything here.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "embtrain/text/config.h"
#include "embtrain/text/word_corpus.h"

namespace embtrain {

// One epoch's centres: the kept tokens' words, each one's window, in the order they are trained;
// 4 + 2 bytes a kept token, and 8 more when train.shuffle draws an order (a kept token's line is
// found from first_kept, not stored). Measured on a 3.9M-token corpus, 3.1M kept: 18 MB, where
// int64 positions and an arange order had taken 61 MB.
struct EpochPlan {
  std::vector<int32_t> word;        // [K] kept token -> its word (corpus.ids at its position)
  std::vector<uint16_t> window;     // [K] its reduced window b in 1..model.window (<= 1000)
  torch::Tensor order;              // [K] int64, train.shuffle's permutation; undefined: text order
  std::vector<int64_t> first_kept;  // [L + 1] kept tokens of line l: first_kept[l] .. first_kept[l+1]
  // The draws' chunks, kept for the next epoch: [<= 2^18] float64 subsampling draws and int64
  // windows (2 MB each).
  torch::Tensor draws = torch::empty({0}, torch::kFloat64), window_draws = torch::empty({0}, torch::kInt64);

  int64_t kept() const { return static_cast<int64_t>(word.size()); }
  int64_t window_at(int64_t k) const { return window[static_cast<size_t>(k)]; }
  int64_t word_at(int64_t k) const { return word[static_cast<size_t>(k)]; }
  int64_t order_at(int64_t i) const { return order.defined() ? order.data_ptr<int64_t>()[i] : i; }
  // The line of kept token k.
  int64_t line_of(int64_t k) const {
    return std::upper_bound(first_kept.begin(), first_kept.end(), k) - first_kept.begin() - 1;
  }
};

// Each word's probability of being kept by subsampling, min(1, √(s/f) + s/f) ([V]; all 1 when
// vocab.sample is 0). The same every epoch: computed once per run.
std::vector<double> keep_probabilities(const WordCorpus& corpus, double sample);

// Draws subsampling, windows and (train.shuffle) the order, in that order, into `plan`. One plan
// serves every epoch of a run: its buffers (about 6 bytes a kept token, 14 shuffled, and 4 MB of
// draws) are allocated once, where a new plan each epoch had left the heap fragmented and the
// run's memory growing (measured: +16 MB an epoch on the 3.9M-token corpus).
void plan_epoch(const WordCorpus& corpus, const Config& config, const std::vector<double>& keep,
                torch::Generator& generator, EpochPlan& plan);

// Each word's rows of the input table: the word's own row w, then, with vocab.subwords, the
// buckets V + hash(n-gram) % vocab.buckets of its character n-grams (text/ngrams.h), in
// fastText's order (getSubwords). An example's input side is the mean of its bag of rows.
struct WordRows {
  std::vector<int64_t> rows;     // every word's rows, back to back
  std::vector<int64_t> offsets;  // [V + 1]: word w's rows are rows[offsets[w] .. offsets[w + 1])
  int64_t table_rows = 0;        // the input table's rows: V, or V + vocab.buckets
  bool subwords = false;

  void append(int64_t word, std::vector<int64_t>& out) const {
    out.insert(out.end(), rows.begin() + offsets[static_cast<size_t>(word)],
               rows.begin() + offsets[static_cast<size_t>(word + 1)]);
  }
};
WordRows word_rows(const WordCorpus& corpus, const VocabConfig& vocab);

// A batch's examples: skip-gram (centre -> context) pairs, or CBOW bags (contexts -> centre).
// Without subwords a skip-gram example's input is one row (the centre's); with them, and for
// CBOW, each example's input is a bag: skip-gram's the centre's rows, CBOW's the rows of every
// context word, back to back.
struct WordBatch {
  std::vector<int64_t> inputs;        // [P] centre words, or the bags' rows, back to back
  std::vector<int64_t> bag_offsets;   // bags: [P] where each bag starts in `inputs`
  std::vector<int64_t> targets;       // [P] the word each example predicts
  int64_t centres = 0;                // centres in the batch (with or without a context)
};

// The examples of the centres plan.order[begin, end).
WordBatch make_word_batch(const WordCorpus& corpus, const WordRows& rows, const EpochPlan& plan, int64_t begin,
                          int64_t end, bool cbow);

// Examples [begin, end) of `batch` (a worker's slice), with their bags' rows; `centres` is
// left 0 (the whole batch counts them).
WordBatch slice_word_batch(const WordBatch& batch, int64_t begin, int64_t end);

// Negatives by inverse transform: u = rand(n, float64), each the first row whose cumulative
// share of count^exponent (float64) exceeds u, the last row at most: torch.searchsorted(cdf,
// u, right=True) to the bit, since a search only compares. A table of 2^16 buckets of u narrows
// each search to the rows whose share falls in u's bucket (where searchsorted searches all V).
class NegativeSampler {
 public:
  NegativeSampler(const WordCorpus& corpus, double exponent);
  // [n] int64 words; draws n doubles from `generator`.
  torch::Tensor draw(int64_t n, torch::Generator& generator) const;

 private:
  int64_t search(double u) const;  // the row u draws

  std::vector<double> cdf_;      // [V] cumulative share, cdf_[V-1] = 1
  std::vector<int32_t> bucket_;  // [2^16 + 1] the first row whose share exceeds b / 2^16
};

}  // namespace embtrain
