// ngrams.cpp — fastText's hashing of word n-grams and subwords into bucket rows.
#include "embtrain/text/ngrams.h"

#include <algorithm>

#include "embtrain/text/config.h"

namespace embtrain {

uint32_t fasttext_hash(std::string_view text) {
  uint32_t h = 2166136261u;
  for (const char c : text) {
    h ^= static_cast<uint32_t>(static_cast<int8_t>(c));  // fastText: uint32_t(int8_t(str[i]))
    h *= 16777619u;
  }
  return h;
}

Ngrams::Ngrams(const VocabConfig& config, int64_t word_rows)
    : word_rows_(word_rows),
      buckets_(config.buckets),
      word_ngrams_(config.word_ngrams),
      minn_(config.minn),
      maxn_(config.maxn),
      subwords_(config.subwords) {}

bool Ngrams::enabled(const VocabConfig& config) { return config.word_ngrams > 1 || config.subwords; }

int64_t table_rows(const VocabConfig& config, int64_t vocab_size) {
  return vocab_size + (Ngrams::enabled(config) ? config.buckets : 0);
}

void Ngrams::add_subwords(std::string_view token, std::vector<int32_t>& ids,
                          std::vector<std::string>* names) const {
  if (!subwords_) return;
  const std::string word = "<" + std::string(token) + ">";
  auto continuation = [&](size_t at) { return (static_cast<unsigned char>(word[at]) & 0xC0) == 0x80; };
  for (size_t i = 0; i < word.size(); ++i) {
    if (continuation(i)) continue;  // n-grams start at a code point
    std::string ngram;
    size_t j = i;
    for (int64_t n = 1; j < word.size() && n <= maxn_; ++n) {
      ngram.push_back(word[j++]);
      while (j < word.size() && continuation(j)) ngram.push_back(word[j++]);
      // fastText skips the lone "<" and ">" (n = 1 at either end).
      if (n >= minn_ && !(n == 1 && (i == 0 || j == word.size()))) {
        ids.push_back(static_cast<int32_t>(word_rows_ + static_cast<int64_t>(fasttext_hash(ngram) % static_cast<uint32_t>(buckets_))));
        if (names) names->push_back(ngram);
      }
    }
  }
}

void Ngrams::add_word_ngrams(const std::vector<uint32_t>& hashes, std::vector<int32_t>& ids,
                             const std::vector<std::string_view>* tokens,
                             std::vector<std::string>* names) const {
  // fastText keeps hashes as int32_t and widens them to uint64_t, sign-extending.
  auto widened = [&](size_t k) { return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(hashes[k]))); };
  const size_t n = static_cast<size_t>(word_ngrams_);
  for (size_t i = 0; i < hashes.size(); ++i) {
    uint64_t h = widened(i);
    std::string text = names ? std::string((*tokens)[i]) : std::string();
    for (size_t j = i + 1; j < hashes.size() && j < i + n; ++j) {
      h = h * 116049371u + widened(j);
      ids.push_back(static_cast<int32_t>(word_rows_ + static_cast<int64_t>(h % static_cast<uint64_t>(buckets_))));
      if (names) names->push_back(text += " " + std::string((*tokens)[j]));
    }
  }
}

void BucketNames::add(int64_t row, const std::string& ngram, int64_t count) { by_row_[row][ngram] += count; }

std::vector<std::pair<std::string, int64_t>> BucketNames::ngrams(int64_t row) const {
  std::vector<std::pair<std::string, int64_t>> out;
  const auto found = by_row_.find(row);
  if (found == by_row_.end()) return out;
  out.assign(found->second.begin(), found->second.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return out;
}

std::string BucketNames::name(int64_t row, size_t shown) const {
  const auto list = ngrams(row);
  std::string text;
  for (size_t i = 0; i < list.size() && i < shown; ++i) text += (i ? " · " : "") + list[i].first;
  if (list.size() > shown) text += " · +" + std::to_string(list.size() - shown) + " more";
  return text;
}

std::vector<int64_t> BucketNames::rows() const {
  std::vector<int64_t> out;
  for (const auto& [row, ngrams] : by_row_) out.push_back(row);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace embtrain
