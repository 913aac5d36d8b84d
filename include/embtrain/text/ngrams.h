// ngrams.h — fastText's hashed rows: word n-grams and character n-grams (subwords).
//
// With vocab.word_ngrams > 1 or vocab.subwords, the embedding table has vocab.buckets rows
// after the V word rows, and a sentence's bag of ids holds, after its word ids:
//   - per token, the character n-grams (minn..maxn code points) of "<token>", each at row
//     V + hash(ngram) % buckets (fastText's computeSubwords; single "<" / ">" excluded);
//   - per run of 2..word_ngrams consecutive tokens, row V + h % buckets with
//     h = h·116049371 + hash(next token) over the tokens (fastText's addWordNgrams).
// hash() is fastText's FNV-1a over signed bytes, so an n-gram lands in the same bucket as in
// fastText with the same -bucket. Out-of-vocabulary tokens still give their n-grams.
// Torch-free: the text side encodes, the model only sees more rows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace embtrain {

struct VocabConfig;

// fastText's Dictionary::hash: FNV-1a 32-bit, each byte sign-extended first.
uint32_t fasttext_hash(std::string_view text);

class Ngrams {
 public:
  // `word_rows`: V, the rows before the buckets.
  Ngrams(const VocabConfig& config, int64_t word_rows);

  // True when the config asks for hashed rows (word_ngrams > 1 or subwords).
  static bool enabled(const VocabConfig& config);

  // Appends the rows of `token`'s character n-grams to `ids`; with `names`, also each n-gram's
  // text (same order).
  void add_subwords(std::string_view token, std::vector<int32_t>& ids,
                    std::vector<std::string>* names = nullptr) const;
  // Appends the rows of the sentence's word n-grams, given its tokens' fasttext_hash values;
  // with `names`, also each n-gram's text ("free money"), made from `tokens`.
  void add_word_ngrams(const std::vector<uint32_t>& hashes, std::vector<int32_t>& ids,
                       const std::vector<std::string_view>* tokens = nullptr,
                       std::vector<std::string>* names = nullptr) const;

  int64_t word_rows() const { return word_rows_; }
  int64_t buckets() const { return buckets_; }
  int64_t word_ngrams() const { return word_ngrams_; }
  bool subwords() const { return subwords_; }

 private:
  int64_t word_rows_, buckets_, word_ngrams_, minn_, maxn_;
  bool subwords_;
};

// The rows of the embedding table under `config`: V, plus vocab.buckets when hashed rows are on.
int64_t table_rows(const VocabConfig& config, int64_t vocab_size);

// What the training data put in each bucket row, to name it: every distinct n-gram with its
// count. A bucket's name lists its n-grams most frequent first ("free money", "<mon", ...).
class BucketNames {
 public:
  void add(int64_t row, const std::string& ngram, int64_t count);
  // "free money · <mon · free · +12 more" (up to `shown` n-grams), or "" for a row nothing hit.
  std::string name(int64_t row, size_t shown = 3) const;
  // The n-grams of `row`, most frequent first (ties in text order), with their counts.
  std::vector<std::pair<std::string, int64_t>> ngrams(int64_t row) const;
  // Rows that some n-gram hit, ascending.
  std::vector<int64_t> rows() const;

 private:
  std::unordered_map<int64_t, std::unordered_map<std::string, int64_t>> by_row_;
};

}  // namespace embtrain
