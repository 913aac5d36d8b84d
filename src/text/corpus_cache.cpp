// corpus_cache.cpp — data.cache: the key, the file, its mapping.
#include "embtrain/text/corpus_cache.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "embtrain/text/config.h"
#include "embtrain/text/error.h"
#include "embtrain/text/fingerprint.h"
#include "embtrain/text/io.h"
#include "embtrain/text/prepare.h"
#include "embtrain/text/word_corpus.h"

namespace embtrain {
namespace {

using nlohmann::json;
constexpr char kMagic[17] = "embtrain-cache-1";
constexpr char kWordMagic[17] = "embtrain-words-1";  // a WordCorpus, in the same layout
constexpr size_t kPrelude = 32;  // magic, header offset, header length

std::string hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

// "SIZE:HASH" of a file's bytes: 64-bit words through a multiply-xorshift (a few GB/s; a
// change anywhere changes it, which is all a cache key needs).
std::string file_digest(const std::string& path, const std::string& what) {
  if (const std::string reason = unreadable_reason(path); !reason.empty()) {
    throw Error::runtime("cannot read " + what + " '" + path + "': " + reason);
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buffer(1 << 20);
  uint64_t hash = 0x9e3779b97f4a7c15ull, size = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<size_t>(in.gcount());
    size_t at = 0;
    for (; at + 8 <= got; at += 8) {
      uint64_t word;
      std::memcpy(&word, buffer.data() + at, 8);
      hash = (hash ^ word) * 0xff51afd7ed558ccdull;
      hash ^= hash >> 32;
    }
    for (; at < got; ++at) hash = (hash ^ static_cast<unsigned char>(buffer[at])) * 0x100000001b3ull;
    size += got;
  }
  if (in.bad()) throw Error::runtime("error while reading " + what + " '" + path + "'");
  return std::to_string(size) + ":" + hex64(hash);
}

// The file mapped read-only; unmapped when the last view of it goes.
struct Mapping {
  const char* base = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (base) ::munmap(const_cast<char*>(base), size);
  }
};

std::shared_ptr<const Mapping> map_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat info {};
  auto mapping = std::make_shared<Mapping>();
  if (::fstat(fd, &info) == 0 && info.st_size >= static_cast<off_t>(kPrelude)) {
    void* base = ::mmap(nullptr, static_cast<size_t>(info.st_size), PROT_READ, MAP_SHARED, fd, 0);
    if (base != MAP_FAILED) {
      mapping->base = static_cast<const char*>(base);
      mapping->size = static_cast<size_t>(info.st_size);
    }
  }
  ::close(fd);
  return mapping->base ? mapping : nullptr;
}

// The arrays a cache file holds, as written: name -> bytes, with their JSON description.
class ArrayWriter {
 public:
  template <typename T>
  void add(json& where, const std::string& name, const T* data, size_t count, const char* type) {
    where[name] = {{"offset", kPrelude + bytes_}, {"count", count}, {"type", type}};
    parts_.push_back({reinterpret_cast<const char*>(data), count * sizeof(T)});
    bytes_ += (count * sizeof(T) + 7) / 8 * 8;
  }
  size_t bytes() const { return bytes_; }
  void write(const Sink& sink) const {
    static const char zeros[8] = {};
    for (const auto& [data, size] : parts_) {
      if (size) sink(data, size);
      if (size % 8) sink(zeros, 8 - size % 8);
    }
  }

 private:
  std::vector<std::pair<const char*, size_t>> parts_;
  size_t bytes_ = 0;
};

json corpus_header(const Corpus& corpus, ArrayWriter& arrays) {
  json header = {{"text_tokens", corpus.text_tokens}, {"oov_to_unk", corpus.oov_to_unk},
                 {"oov_dropped", corpus.oov_dropped}};
  arrays.add(header, "ids", corpus.ids.data(), corpus.ids.size(), "i32");
  arrays.add(header, "offsets", corpus.offsets.data(), corpus.offsets.size(), "i64");
  arrays.add(header, "labels", corpus.labels.data(), corpus.labels.size(), "f32");
  arrays.add(header, "label_offsets", corpus.label_offsets.data(), corpus.label_offsets.size(), "i64");
  arrays.add(header, "label_ids", corpus.label_ids.data(), corpus.label_ids.size(), "i32");
  return header;
}

// Reads the arrays of a mapped file, checking each against the file's bounds.
class ArrayReader {
 public:
  ArrayReader(std::shared_ptr<const Mapping> mapping, size_t end) : mapping_(std::move(mapping)), end_(end) {}

  template <typename T>
  std::pair<const T*, size_t> get(const json& spec, const char* type) const {
    const auto offset = spec.at("offset").get<size_t>();
    const auto count = spec.at("count").get<size_t>();
    if (spec.at("type") != type || offset % 8 != 0 || offset < kPrelude || offset > end_ ||
        count > (end_ - offset) / sizeof(T)) {
      throw std::runtime_error("an array lies outside the file");
    }
    return {reinterpret_cast<const T*>(mapping_->base + offset), count};
  }
  template <typename T>
  std::vector<T> copy(const json& spec, const char* type) const {
    const auto [data, count] = get<T>(spec, type);
    return std::vector<T>(data, data + count);
  }
  const std::shared_ptr<const Mapping>& mapping() const { return mapping_; }

 private:
  std::shared_ptr<const Mapping> mapping_;
  size_t end_;
};

// A split as the file holds it, checked: offsets run from 0 to T without going back, one label
// per example, label ids inside the label set, and every row inside the table (this scan reads
// the rows once).
Corpus read_corpus(const json& header, const ArrayReader& arrays, int64_t rows, size_t classes) {
  Corpus corpus;
  const auto [ids, count] = arrays.get<int32_t>(header.at("ids"), "i32");
  corpus.offsets = arrays.copy<int64_t>(header.at("offsets"), "i64");
  corpus.labels = arrays.copy<float>(header.at("labels"), "f32");
  corpus.label_offsets = arrays.copy<int64_t>(header.at("label_offsets"), "i64");
  corpus.label_ids = arrays.copy<int32_t>(header.at("label_ids"), "i32");
  corpus.text_tokens = header.at("text_tokens").get<int64_t>();
  corpus.oov_to_unk = header.at("oov_to_unk").get<int64_t>();
  corpus.oov_dropped = header.at("oov_dropped").get<int64_t>();
  const auto& offsets = corpus.offsets;
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != static_cast<int64_t>(count) ||
      !std::is_sorted(offsets.begin(), offsets.end()) || corpus.labels.size() + 1 != offsets.size()) {
    throw std::runtime_error("inconsistent offsets");
  }
  const bool multi = corpus.label_offsets.size() == corpus.labels.size() + 1;
  if (multi && (corpus.label_offsets.front() != 0 ||
                corpus.label_offsets.back() != static_cast<int64_t>(corpus.label_ids.size()) ||
                !std::is_sorted(corpus.label_offsets.begin(), corpus.label_offsets.end()))) {
    throw std::runtime_error("inconsistent label offsets");
  }
  for (const int32_t id : corpus.label_ids) {
    if (id < 0 || static_cast<size_t>(id) >= classes) throw std::runtime_error("a label outside the label set");
  }
  int32_t low = 0, high = 0;
  for (size_t t = 0; t < count; ++t) {
    low = std::min(low, ids[t]);
    high = std::max(high, ids[t]);
  }
  if (low < 0 || (count > 0 && high >= rows)) throw std::runtime_error("a row outside the table");
  corpus.ids = RowIds::view(ids, count, arrays.mapping());
  return corpus;
}

// The file's JSON header, after checking its magic, its bounds and its key; `header_at` is where
// the arrays end.
json read_header(const Mapping& mapping, const char* magic, const std::string& key, uint64_t& header_at) {
  if (std::memcmp(mapping.base, magic, 16) != 0) throw std::runtime_error(std::string("not an ") + magic + " file");
  uint64_t header_size = 0;
  std::memcpy(&header_at, mapping.base + 16, 8);
  std::memcpy(&header_size, mapping.base + 24, 8);
  if (header_at < kPrelude || header_at > mapping.size || header_size != mapping.size - header_at) {
    throw std::runtime_error("truncated");
  }
  json header = json::parse(mapping.base + header_at, mapping.base + mapping.size);
  if (header.at("key") != key) throw std::runtime_error("it holds another key");
  return header;
}

// A cache file opened: its header and its arrays, after read_header's checks.
struct OpenedCache {
  json header;
  ArrayReader arrays;
  Vocab vocab() const {
    std::istringstream text(header.at("vocab").get<std::string>());
    return Vocab::load(text, "the cached vocabulary");
  }
};

OpenedCache open_cache(const std::shared_ptr<const Mapping>& mapping, const char* magic, const std::string& key) {
  uint64_t header_at = 0;
  json header = read_header(*mapping, magic, key, header_at);
  return {std::move(header), ArrayReader(mapping, header_at)};
}

PreparedData read_cache(const std::shared_ptr<const Mapping>& mapping, const std::string& key) {
  const OpenedCache cache = open_cache(mapping, kMagic, key);
  const json& header = cache.header;
  const ArrayReader& arrays = cache.arrays;
  PreparedData data;
  data.vocab = cache.vocab();
  data.rows = header.at("rows").get<int64_t>();
  data.labels = header.at("labels").get<std::vector<std::string>>();
  data.counts = arrays.copy<int64_t>(header.at("counts"), "i64");
  data.positive_counts = arrays.copy<int64_t>(header.at("positive_counts"), "i64");
  data.label_counts = arrays.copy<int64_t>(header.at("label_counts"), "i64");
  if (data.rows < data.vocab.size() || data.counts.size() != static_cast<size_t>(data.rows) ||
      data.positive_counts.size() != data.counts.size() ||
      data.label_counts.size() != data.counts.size() * data.labels.size()) {
    throw std::runtime_error("inconsistent counts");
  }
  for (const auto& [row, ngrams] : header.at("buckets").items()) {
    for (const auto& ngram : ngrams) data.bucket_names.add(std::stoll(row), ngram.at(0), ngram.at(1));
  }
  const size_t classes = data.labels.size();
  data.train = read_corpus(header.at("train"), arrays, data.rows, classes);
  if (header.contains("valid")) data.valid = read_corpus(header.at("valid"), arrays, data.rows, classes);
  if (header.contains("test")) data.test = read_corpus(header.at("test"), arrays, data.rows, classes);
  return data;
}

// A word corpus as the file holds it, checked: one count per word, line offsets from 0 to T
// without going back, every id inside the vocabulary.
WordCorpus read_word_cache(const std::shared_ptr<const Mapping>& mapping, const std::string& key) {
  const OpenedCache cache = open_cache(mapping, kWordMagic, key);
  const json& header = cache.header;
  const ArrayReader& arrays = cache.arrays;
  WordCorpus corpus;
  corpus.vocab = cache.vocab();
  corpus.counts = arrays.copy<int64_t>(header.at("counts"), "i64");
  corpus.line_offsets = arrays.copy<int64_t>(header.at("line_offsets"), "i64");
  corpus.text_tokens = header.at("text_tokens").get<int64_t>();
  corpus.dropped = header.at("dropped").get<int64_t>();
  const auto [ids, count] = arrays.get<int32_t>(header.at("ids"), "i32");
  const auto& offsets = corpus.line_offsets;
  if (corpus.counts.size() != static_cast<size_t>(corpus.vocab.size())) throw std::runtime_error("inconsistent counts");
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != static_cast<int64_t>(count) ||
      !std::is_sorted(offsets.begin(), offsets.end())) {
    throw std::runtime_error("inconsistent line offsets");
  }
  corpus.ids.resize(count);
  for (size_t t = 0; t < count; ++t) {
    if (ids[t] < 0 || ids[t] >= corpus.vocab.size()) throw std::runtime_error("a word outside the vocabulary");
    corpus.ids[t] = ids[t];
  }
  return corpus;
}

// Writes the prelude, the arrays and the header to `path` (temp file and rename). A failure is a
// warning: the run goes on without a cache.
void write_cache_file(const std::string& path, const char* magic, const ArrayWriter& arrays, const json& header) {
  const std::string text = header.dump();
  try {
    ensure_writable_dir(std::filesystem::path(path).parent_path().string());
    write_atomically(path, [&](const Sink& sink) {
      char prelude[kPrelude] = {};
      std::memcpy(prelude, magic, 16);
      const uint64_t header_at = kPrelude + arrays.bytes(), header_size = text.size();
      std::memcpy(prelude + 16, &header_at, 8);
      std::memcpy(prelude + 24, &header_size, 8);
      sink(prelude, kPrelude);
      arrays.write(sink);
      sink(text.data(), text.size());
    }, /*durable=*/false);
    spdlog::info("data.cache: the encoded corpus is in {} (later runs read it instead of tokenising)", path);
  } catch (const Error& e) {
    spdlog::warn("data.cache: cannot write '{}': {}; the run goes on without it", path, e.what());
  }
}

// The mapped file, or nothing (said at debug level).
std::shared_ptr<const Mapping> map_cache(const std::string& path) {
  auto mapping = map_file(path);
  if (!mapping) spdlog::debug("data.cache: no usable {}", path);
  return mapping;
}

void warn_damaged(const std::string& path, const std::exception& e) {
  spdlog::warn("data.cache: '{}' is damaged ({}); encoding the data again", path, e.what());
}

}  // namespace

std::string corpus_cache_key(const Config& config) {
  json data = to_json(config).at("data"), vocab = to_json(config).at("vocab");
  // Paths do not count, content does; label_names only names 0 and 1; the cache's own folder.
  for (const char* key : {"train", "valid", "test", "label_names", "cache"}) data.erase(key);
  vocab.erase("file");
  // A word corpus is the training text alone (data.valid is a pairs file, scored apart), and
  // the same for skipgram and cbow.
  const bool words = is_word_objective(config.model.objective);
  json inputs = {{"layout", words ? kWordMagic : kMagic}, {"data", data}, {"vocab", vocab}};
  inputs["vocab.file"] = config.vocab.file.empty() ? "" : file_digest(config.vocab.file, "vocab.file");
  inputs["train"] = file_digest(config.data.train, "data.train");
  inputs["valid"] = words || config.data.valid.empty() ? "" : file_digest(config.data.valid, "data.valid");
  inputs["test"] = words || config.data.test.empty() ? "" : file_digest(config.data.test, "data.test");
  return fnv1a64_hex(inputs.dump());
}

std::string corpus_cache_path(const Config& config, const std::string& key) {
  const char* prefix = is_word_objective(config.model.objective) ? "words-" : "corpus-";
  return (std::filesystem::path(config.data.cache) / (prefix + key + ".bin")).string();
}

std::optional<PreparedData> load_corpus_cache(const std::string& path, const std::string& key) {
  const auto mapping = map_cache(path);
  if (!mapping) return std::nullopt;
  try {
    return read_cache(mapping, key);
  } catch (const std::exception& e) {  // json's, Vocab::load's Error, or a check above
    warn_damaged(path, e);
    return std::nullopt;
  }
}

std::optional<WordCorpus> load_word_cache(const std::string& path, const std::string& key) {
  const auto mapping = map_cache(path);
  if (!mapping) return std::nullopt;
  try {
    return read_word_cache(mapping, key);
  } catch (const std::exception& e) {
    warn_damaged(path, e);
    return std::nullopt;
  }
}

void save_corpus_cache(const std::string& path, const std::string& key, const PreparedData& data) {
  ArrayWriter arrays;
  json header = {{"key", key}, {"rows", data.rows}, {"labels", data.labels}, {"vocab", data.vocab.to_text()}};
  arrays.add(header, "counts", data.counts.data(), data.counts.size(), "i64");
  arrays.add(header, "positive_counts", data.positive_counts.data(), data.positive_counts.size(), "i64");
  arrays.add(header, "label_counts", data.label_counts.data(), data.label_counts.size(), "i64");
  json buckets = json::object();
  for (const int64_t row : data.bucket_names.rows()) buckets[std::to_string(row)] = data.bucket_names.ngrams(row);
  header["buckets"] = std::move(buckets);
  header["train"] = corpus_header(data.train, arrays);
  if (data.valid) header["valid"] = corpus_header(*data.valid, arrays);
  if (data.test) header["test"] = corpus_header(*data.test, arrays);
  write_cache_file(path, kMagic, arrays, header);
}

void save_word_cache(const std::string& path, const std::string& key, const WordCorpus& corpus) {
  // Ids as 4 bytes a token, as the corpus and the classifier's cache hold them.
  const std::vector<int32_t>& ids = corpus.ids;
  ArrayWriter arrays;
  json header = {{"key", key},
                 {"vocab", corpus.vocab.to_text()},
                 {"text_tokens", corpus.text_tokens},
                 {"dropped", corpus.dropped}};
  arrays.add(header, "counts", corpus.counts.data(), corpus.counts.size(), "i64");
  arrays.add(header, "ids", ids.data(), ids.size(), "i32");
  arrays.add(header, "line_offsets", corpus.line_offsets.data(), corpus.line_offsets.size(), "i64");
  write_cache_file(path, kWordMagic, arrays, header);
}

}  // namespace embtrain
