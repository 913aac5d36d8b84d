// word_corpus.h — raw text for the word objectives (skipgram, cbow): lines of token ids.
//
// data.train is read as `text` (one sentence or paragraph a line; data.format auto or text) or
// as a labelled format whose labels are ignored (tsv, jsonl, fasttext). Tokens are split as
// vocab.tokenizer / vocab.lowercase say; the vocabulary is vocab.file, or the tokens seen at
// least vocab.min_count times in vocab.order (`frequency`: word2vec's order), cut to
// vocab.max_size. Tokens outside it are dropped, as word2vec drops them: windows are counted
// over the tokens that remain. Lines left with fewer than two tokens give no pair and are kept
// only as boundaries.
//
// Thread-safety: read_word_corpus is a free function; a WordCorpus is read-only afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "embtrain/text/config.h"
#include "embtrain/text/vocab.h"

namespace embtrain {

struct WordCorpus {
  Vocab vocab;                        // [V]
  std::vector<int64_t> counts;        // [V] occurrences in the training text
  std::vector<int32_t> ids;           // [T] the kept tokens, line after line (4 bytes a token)
  std::vector<int64_t> line_offsets{0};  // [L + 1] into ids
  int64_t text_tokens = 0;            // tokens read, kept or not
  int64_t dropped = 0;                // of them, outside the vocabulary (dropped)

  int64_t lines() const { return static_cast<int64_t>(line_offsets.size()) - 1; }
  int64_t tokens() const { return static_cast<int64_t>(ids.size()); }
};

// An Error naming the file and what to do when the text holds no pair (every line has fewer
// than two known tokens, or every word is below vocab.min_count).
WordCorpus read_word_corpus(const Config& config);

// read_word_corpus through data.cache (corpus_cache.h) when the config names one: the first run
// writes the corpus there, later runs with the same text and data/vocab keys read it instead of
// tokenising (tune's trials, sweeps). Without data.cache, read_word_corpus.
WordCorpus prepare_word_corpus(const Config& config);

}  // namespace embtrain
