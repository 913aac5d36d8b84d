// fingerprint.cpp — run_fingerprint and its comparison.
#include "embtrain/text/fingerprint.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <set>

#include "embtrain/text/config.h"
#include "embtrain/text/prepare.h"
#include "embtrain/text/word_corpus.h"

namespace embtrain {
namespace {

using nlohmann::json;

// FNV-1a, 64 bits: fast, dependency-free, and enough to tell two corpora apart.
struct Fnv {
  uint64_t state = 1469598103934665603ull;
  void add(const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) state = (state ^ bytes[i]) * 1099511628211ull;
  }
  template <typename T>
  void add(const std::vector<T>& values) {
    add(values.data(), values.size() * sizeof(T));
  }
  std::string hex() const {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(state));
    return text;
  }
};

// 4-byte ids hashed as int64, as before they were stored in 4 bytes: older checkpoints'
// fingerprints hold.
void add_wide(Fnv& hash, const int32_t* ids, size_t count) {
  int64_t wide[1024];
  for (size_t at = 0; at < count; at += 1024) {
    const size_t n = std::min<size_t>(1024, count - at);
    std::copy_n(ids + at, n, wide);
    hash.add(wide, n * sizeof(int64_t));
  }
}

std::string corpus_part(const Corpus& corpus) {
  Fnv hash;
  add_wide(hash, corpus.ids.data(), corpus.ids.size());
  hash.add(corpus.offsets);
  hash.add(corpus.labels);
  if (corpus.multi_label()) {
    hash.add(corpus.label_offsets);
    hash.add(corpus.label_ids);
  }
  return std::to_string(corpus.size()) + " examples, " + std::to_string(corpus.ids.size()) +
         " tokens, fnv1a64 " + hash.hex();
}

// The keys a resume may change (and every key under kFreePrefix); every other key is part of
// the fingerprint. The data paths may change because the data's content is fingerprinted;
// data.label_names only names 0 and 1 in what a run shows.
const std::set<std::string> kFreeKeys = {"data.label_names", "train.epochs", "train.threads", "train.device",
                                         "train.checkpoint_every", "data.train", "data.valid",
                                         "data.test", "data.cache", "train.dist_timeout"};
constexpr const char* kFreePrefix = "report.";

bool may_change(const std::string& key) {
  return kFreeKeys.count(key) || key.rfind(kFreePrefix, 0) == 0;
}

std::string vocab_part(const Vocab& vocab) {
  Fnv hash;
  for (int64_t id = 0; id < vocab.size(); ++id) {
    const std::string& token = vocab.token(id);
    hash.add(token.data(), token.size() + 1);  // with its terminating NUL, as a separator
  }
  return std::to_string(vocab.size()) + " tokens, fnv1a64 " + hash.hex();
}

// Every config key a resume may not change.
void add_config_parts(const Config& config, Fingerprint& out) {
  const json keys = to_json(config);
  for (const auto& [section, values] : keys.items()) {
    for (const auto& [key, value] : values.items()) {
      const std::string name = section + "." + key;
      if (!may_change(name)) out.parts[name] = value.dump();
    }
  }
}

}  // namespace

Fingerprint run_fingerprint(const Config& config, const PreparedData& data) {
  Fingerprint out;
  out.parts["data.train (encoded)"] = corpus_part(data.train);
  out.parts["data.valid (encoded)"] = data.valid ? corpus_part(*data.valid) : "none";
  out.parts["data.test (encoded)"] = data.test ? corpus_part(*data.test) : "none";
  out.parts["vocabulary"] = vocab_part(data.vocab);
  add_config_parts(config, out);
  return out;
}

Fingerprint word_fingerprint(const Config& config, const WordCorpus& corpus) {
  Fingerprint out;
  Fnv text;
  add_wide(text, corpus.ids.data(), corpus.ids.size());
  text.add(corpus.line_offsets);
  text.add(corpus.counts);
  out.parts["data.train (words)"] = std::to_string(corpus.lines()) + " lines, " + std::to_string(corpus.tokens()) +
                                    " tokens, fnv1a64 " + text.hex();
  out.parts["vocabulary"] = vocab_part(corpus.vocab);
  add_config_parts(config, out);
  return out;
}

std::string fnv1a64_hex(const std::string& text) {
  Fnv hash;
  hash.add(text.data(), text.size());
  return hash.hex();
}

std::string keys_a_resume_may_change() {
  std::string list;
  for (const auto& key : kFreeKeys) list += key + ", ";
  return list + kFreePrefix + "*";
}

std::string to_text(const Fingerprint& fingerprint) { return json(fingerprint.parts).dump(); }

Fingerprint fingerprint_from_text(const std::string& text) {
  Fingerprint out;
  try {
    const json parsed = json::parse(text);
    for (const auto& [name, value] : parsed.items()) {
      if (value.is_string()) out.parts[name] = value.get<std::string>();
    }
  } catch (const json::exception&) {
    out.parts.clear();
  }
  return out;
}

std::string fingerprint_differences(const Fingerprint& saved, const Fingerprint& now,
                                    const std::string& saved_where, const std::string& now_where) {
  std::string differences;
  auto add = [&](const std::string& name, const std::string& before, const std::string& after) {
    differences += (differences.empty() ? "" : "; ") + name + ": " + before + " " + saved_where + ", " +
                   after + " " + now_where;
  };
  for (const auto& [name, value] : now.parts) {
    const auto found = saved.parts.find(name);
    if (found == saved.parts.end()) {
      add(name, "(absent)", value);
    } else if (found->second != value) {
      add(name, found->second, value);
    }
  }
  for (const auto& [name, value] : saved.parts) {
    if (!now.parts.count(name)) add(name, value, "(absent)");
  }
  return differences;
}

}  // namespace embtrain
