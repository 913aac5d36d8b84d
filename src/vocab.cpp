// vocab.cpp — building, loading and saving vocabularies.
#include "embtrain/vocab.h"

#include <algorithm>
#include <fstream>
#include <numeric>

#include "embtrain/config.h"
#include "embtrain/error.h"
#include "embtrain/tokenizer.h"

namespace embtrain {

int64_t Vocab::add(std::string_view token) {
  const int64_t existing = find(token);
  if (existing >= 0) return existing;
  tokens_.emplace_back(token);
  const int64_t id = size() - 1;
  index_.emplace(tokens_.back(), id);
  return id;
}

Vocab Vocab::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error::runtime("cannot read vocabulary file '" + path + "'");
  Vocab vocab;
  std::string line;
  for (int64_t line_number = 1; std::getline(in, line); ++line_number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = path + ":" + std::to_string(line_number);
    if (line.empty()) throw Error::runtime(where + ": empty line in vocabulary file");
    if (line.find('\0') != std::string::npos) {
      throw Error::runtime(where + ": NUL byte in vocabulary token");
    }
    size_t bad = 0;
    if (!valid_utf8(line, &bad)) {
      throw Error::runtime(where + ": invalid UTF-8 at byte " + std::to_string(bad + 1));
    }
    const int64_t first = vocab.find(line);
    if (first >= 0) {
      throw Error::runtime(where + ": duplicate token '" + line + "' (first on line " +
                           std::to_string(first + 1) + ")");
    }
    vocab.add(line);
  }
  if (vocab.size() == 0) throw Error::runtime("vocabulary file '" + path + "' is empty");
  return vocab;
}

std::string Vocab::to_text() const {
  std::string text;
  for (const auto& token : tokens_) {
    text += token;
    text += '\n';
  }
  return text;
}

Vocab build_vocab(const TokenCounts& counts, const VocabConfig& config) {
  Vocab vocab;
  for (const auto& special : config.specials) vocab.add(special);
  std::vector<int64_t> order(counts.counts.size());
  std::iota(order.begin(), order.end(), 0);
  if (config.order == "frequency") {
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return counts.counts[static_cast<size_t>(a)] > counts.counts[static_cast<size_t>(b)];
    });
  }
  for (const int64_t id : order) {
    if (config.max_size > 0 && vocab.size() >= config.max_size) break;
    if (counts.counts[static_cast<size_t>(id)] < config.min_count) continue;
    vocab.add(counts.seen.token(id));  // a special seen in the data keeps its first slot
  }
  return vocab;
}

Vocab make_vocab(const VocabConfig& config, const TokenCounts& counts) {
  if (!config.file.empty()) return Vocab::load(config.file);
  Vocab vocab = build_vocab(counts, config);
  if (vocab.size() == 0) {
    throw Error::usage("the vocabulary is empty: no training token reaches vocab.min_count=" +
                       std::to_string(config.min_count));
  }
  return vocab;
}

std::vector<int64_t> counts_for(const Vocab& vocab, const TokenCounts& counts) {
  std::vector<int64_t> result(static_cast<size_t>(vocab.size()), 0);
  for (int64_t id = 0; id < vocab.size(); ++id) {
    const int64_t seen = counts.seen.find(vocab.token(id));
    if (seen >= 0) result[static_cast<size_t>(id)] = counts.counts[static_cast<size_t>(seen)];
  }
  return result;
}

}  // namespace embtrain
