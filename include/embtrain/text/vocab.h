// vocab.h — token <-> id, built from training text or read from a file.
//
// A Vocab owns its token strings (in a deque, so their addresses stay put) and
// is move-only: copies of large vocabularies should be deliberate. Ids are 0-based and
// dense: the row of the embedding matrix a token selects.
#pragma once

#include <cstdint>
#include <deque>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace embtrain {

class Ngrams;

struct VocabConfig;

class Vocab {
 public:
  Vocab() = default;
  Vocab(Vocab&&) = default;
  Vocab& operator=(Vocab&&) = default;
  Vocab(const Vocab&) = delete;
  Vocab& operator=(const Vocab&) = delete;

  // Id of `token`, adding it at the end when new.
  int64_t add(std::string_view token);
  // Id of `token`, or -1.
  int64_t find(std::string_view token) const;
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  // Room for `tokens` tokens without rehashing.
  void reserve(size_t tokens);
  const std::string& token(int64_t id) const { return tokens_[static_cast<size_t>(id)]; }
  // Id of "<unk>", or -1: out-of-vocabulary tokens map here when it exists.
  int64_t unk_id() const { return find("<unk>"); }
  // The row a token of the data maps to: its own, else <unk>'s when the vocabulary has one,
  // else -1 (the token is dropped). The one out-of-vocabulary rule of every encoder.
  int64_t encode_token(std::string_view token) const {
    const int64_t id = find(token);
    return id >= 0 ? id : unk_id();
  }

  // One token per line; the 0-based line number is the id. Empty lines and
  // duplicates are errors naming the file and line.
  static Vocab load(const std::string& path);
  static Vocab load(std::istream& in, const std::string& name);
  std::string to_text() const;

 private:
  // Open addressing with linear probing: each slot packs the top 32 bits of the
  // token's hash and id + 1 (0 = empty). A node-based std::unordered_map spent
  // most of a 1M-line vocabulary load in cache misses.
  size_t probe(std::string_view token, uint64_t hash) const;
  int64_t add_hashed(std::string_view token, uint64_t hash);  // add() with the token's hash
  void grow();
  void rehash(size_t slot_count);  // a power of two

  std::deque<std::string> tokens_;
  std::vector<uint64_t> slots_;
};

// Tokens of `tokens` that the vocabulary does not have (they map to <unk>, or are dropped).
// predict, eval and encode report this share per input, and warn above kUnknownWarnShare.
// Tokens with no row at all: not in the vocabulary and, when `ngrams` has subwords on, without a
// character n-gram either (an unknown token's subwords are rows the model uses).
int64_t count_unknown(const Vocab& vocab, const std::vector<std::string_view>& tokens,
                      const Ngrams* ngrams = nullptr);
inline constexpr double kUnknownWarnShare = 0.5;

// Every distinct training token in first-seen order, with its count.
struct TokenCounts {
  Vocab seen;
  std::vector<int64_t> counts;  // counts[id in `seen`]

  int64_t add(std::string_view token) {
    const int64_t id = seen.add(token);
    if (id == static_cast<int64_t>(counts.size())) counts.push_back(0);
    ++counts[static_cast<size_t>(id)];
    return id;
  }
};

// specials first, then tokens with count >= min_count in first-seen or
// frequency order (ties keep first-seen order), cut to max_size (0 = no limit).
Vocab build_vocab(const TokenCounts& counts, const VocabConfig& config);

// vocab.file when set, else build_vocab; an empty vocabulary is an Error.
Vocab make_vocab(const VocabConfig& config, const TokenCounts& counts);

// The training count of each token of `vocab` (0 for tokens never seen).
std::vector<int64_t> counts_for(const Vocab& vocab, const TokenCounts& counts);

}  // namespace embtrain
