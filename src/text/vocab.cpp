// vocab.cpp — building, loading and saving vocabularies.
#include "embtrain/text/vocab.h"

#include "embtrain/text/ngrams.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <numeric>

#include "embtrain/text/config.h"
#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/text/threads.h"
#include "embtrain/text/utf8.h"

namespace embtrain {

namespace {
constexpr uint64_t kEmpty = 0;
uint64_t hash_of(std::string_view token) { return std::hash<std::string_view>{}(token); }
uint64_t tag_of(uint64_t hash) { return hash >> 32; }
}  // namespace

size_t Vocab::probe(std::string_view token, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == kEmpty) return i;
    if ((slot >> 32) == tag_of(hash) && tokens_[(slot & 0xffffffffu) - 1] == token) return i;
  }
}

void Vocab::reserve(size_t tokens) {
  size_t slots = 64;
  while (slots < tokens * 2) slots *= 2;  // load factor <= 1/2
  if (slots > slots_.size()) rehash(slots);
}

void Vocab::grow() { rehash(std::max<size_t>(64, slots_.size() * 2)); }

void Vocab::rehash(size_t slot_count) {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(slot_count, kEmpty);
  const size_t mask = slots_.size() - 1;
  for (const uint64_t slot : old) {
    if (slot == kEmpty) continue;
    const uint64_t hash = hash_of(tokens_[(slot & 0xffffffffu) - 1]);
    size_t i = hash & mask;
    while (slots_[i] != kEmpty) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

int64_t Vocab::find(std::string_view token) const {
  if (slots_.empty()) return -1;
  const uint64_t slot = slots_[probe(token, hash_of(token))];
  return slot == kEmpty ? -1 : static_cast<int64_t>(slot & 0xffffffffu) - 1;
}

int64_t Vocab::add(std::string_view token) { return add_hashed(token, hash_of(token)); }

int64_t Vocab::add_hashed(std::string_view token, uint64_t hash) {
  if ((tokens_.size() + 1) * 2 > slots_.size()) grow();  // load factor <= 1/2
  const size_t i = probe(token, hash);
  if (slots_[i] != kEmpty) return static_cast<int64_t>(slots_[i] & 0xffffffffu) - 1;
  if (tokens_.size() >= 0xffffffffu) throw Error::runtime("vocabulary larger than 2^32 - 1 tokens");
  tokens_.emplace_back(token);
  slots_[i] = (tag_of(hash) << 32) | static_cast<uint64_t>(tokens_.size());
  return size() - 1;
}

int64_t count_unknown(const Vocab& vocab, const std::vector<std::string_view>& tokens, const Ngrams* ngrams) {
  int64_t unknown = 0;
  std::vector<int32_t> subwords;
  for (const auto token : tokens) {
    if (vocab.find(token) >= 0) continue;
    if (ngrams && ngrams->subwords()) {
      subwords.clear();
      ngrams->add_subwords(token, subwords);
      if (!subwords.empty()) continue;
    }
    ++unknown;
  }
  return unknown;
}

Vocab Vocab::load(const std::string& path) {
  if (const std::string reason = unreadable_reason(path); !reason.empty()) {
    throw Error::runtime("cannot read vocabulary file '" + path + "': " + reason);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error::runtime("cannot read vocabulary file '" + path + "'");
  return load(in, path);
}

namespace {

// What is wrong with one vocabulary line (its line ending stripped), or "".
std::string line_problem(std::string_view line) {
  if (line.empty()) return "empty line in vocabulary file";
  if (line.find('\0') != std::string_view::npos) return "NUL byte in vocabulary token";
  // One line ending is stripped; a token ending in another carriage return
  // could not be written back unchanged.
  if (line.find('\r') != std::string_view::npos) return "carriage return inside a vocabulary token";
  size_t bad = 0;
  if (!valid_utf8(line, &bad)) return "invalid UTF-8 at byte " + std::to_string(bad + 1);
  return "";
}

// The file's lines, each without its '\n' and one '\r' before it.
std::vector<std::string_view> split_lines(const std::string& text) {
  std::vector<std::string_view> lines;
  lines.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

Vocab Vocab::load(std::istream& in, const std::string& path) {
  // The whole file at once, split in place. Each line is checked and hashed on the pool (a
  // line's checks do not depend on the others), then added in file order with its slot
  // prefetched a few lines ahead: a 1M-line table's slots do not fit in a cache.
  std::string text;
  for (char block[1 << 16]; in.read(block, sizeof block) || in.gcount() > 0;) {  // not byte by byte
    text.append(block, static_cast<size_t>(in.gcount()));
  }
  const std::vector<std::string_view> lines = split_lines(text);
  const auto n = static_cast<int64_t>(lines.size());
  std::vector<uint64_t> hashes(lines.size());
  ThreadPool& pool = shared_pool();
  std::atomic<int64_t> first_bad{n};  // the first bad line in file order, over every range
  auto check = [&](int64_t begin, int64_t end) {
    int64_t bad = n;
    for (int64_t i = begin; i < end; ++i) {
      const std::string_view line = lines[static_cast<size_t>(i)];
      hashes[static_cast<size_t>(i)] = hash_of(line);
      if (bad == n && !line_problem(line).empty()) bad = i;
    }
    int64_t seen = first_bad.load();
    while (bad < seen && !first_bad.compare_exchange_weak(seen, bad)) {  // keep the smaller
    }
  };
  if (pool.worth_splitting(40 * n)) {
    pool.run(n, pool.grain_for(40), check);
  } else {
    check(0, n);
  }
  const int64_t bad = first_bad.load();
  auto fail = [&](int64_t i, const std::string& what) {
    return Error::runtime(path + ":" + std::to_string(i + 1) + ": " + what);
  };
  Vocab vocab;
  vocab.reserve(lines.size());
  constexpr int64_t kAhead = 8;
  const size_t mask = vocab.slots_.size() - 1;
  for (int64_t i = 0; i < bad; ++i) {  // lines before the first bad one: a duplicate comes first
    if (i + kAhead < bad) __builtin_prefetch(&vocab.slots_[hashes[static_cast<size_t>(i + kAhead)] & mask]);
    const std::string_view line = lines[static_cast<size_t>(i)];
    const int64_t id = vocab.add_hashed(line, hashes[static_cast<size_t>(i)]);
    if (id != i) {
      throw fail(i, "duplicate token '" + std::string(line) + "' (first on line " + std::to_string(id + 1) + ")");
    }
  }
  if (bad < n) throw fail(bad, line_problem(lines[static_cast<size_t>(bad)]));
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
  if (config.order == VocabOrder::frequency) {
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
