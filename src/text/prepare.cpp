// prepare.cpp — data, vocabulary and run folder for `embtrain train`.
#include "embtrain/text/prepare.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <limits>
#include <optional>

#include "embtrain/text/config.h"
#include "embtrain/text/corpus_cache.h"
#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/text/labels.h"
#include "embtrain/text/token_count.h"
#include "embtrain/text/tokenizer.h"

namespace embtrain {

namespace {

void log_encoding(const std::string& name, const std::string& path, int64_t skipped_lines, const Corpus& corpus) {
  if (skipped_lines) spdlog::warn("{}: skipped {} bad lines", path, skipped_lines);
  if (corpus.oov_dropped) {
    spdlog::info("{} data: {} out-of-vocabulary tokens dropped (the vocabulary has no <unk>)", name,
                 corpus.oov_dropped);
  }
  if (corpus.oov_to_unk) spdlog::info("{} data: {} tokens mapped to <unk>", name, corpus.oov_to_unk);
}

// Rows are stored as int32 (dataset.h): the table must have fewer than 2^31 of them.
void check_row_count(int64_t rows, const Config& config) {
  if (rows < std::numeric_limits<RowId>::max()) return;
  throw Error::usage("the embedding table would have " + std::to_string(rows) + " rows (vocabulary plus " +
                     "vocab.buckets = " + std::to_string(config.vocab.buckets) + "); at most 2^31 - 1 are supported");
}

// Labels found in the data that are not 0/1 train one Sigmoid output each: two such labels
// (pos/neg) are a two-output model, not the article's binary one. Say so; and data.label_names,
// which names a binary run's 0 and 1, cannot apply.
void check_label_kind(const std::vector<std::string>& names, const DataConfig& data) {
  if (names.empty() || !data.labels.empty()) return;
  const std::string listed = names.size() == 2 ? "'" + names[0] + "' and '" + names[1] + "'"
                                               : std::to_string(names.size()) + " names ('" + names[0] + "', ...)";
  if (!data.label_names.empty()) {
    throw Error::usage("data.label_names names the labels 0 and 1 of a binary run, but data.train's labels are " +
                       listed + ": relabel the data 0 and 1 for one binary output, or drop data.label_names "
                       "(each label then trains an output of its own, named by the label)");
  }
  if (names.size() == 2) {
    spdlog::info("data.train's labels {} are not 0/1, so they train two Sigmoid outputs (one-vs-all), not the "
                 "article's one binary output; relabel them 0 and 1 for that (data.label_names=[\"{}\", \"{}\"] "
                 "names them), or set data.labels=[\"{}\", \"{}\"] to keep two outputs",
                 listed, names[0], names[1], names[0], names[1]);
  }
}

}  // namespace

namespace {

// Reads, counts and encodes every split (prepare_data without the cache).
PreparedData encode_data(const Config& config) {
  Tokenizer tokenizer(TokenizerOptions::from(config.vocab));
  const auto& data = config.data;
  // The training file streams through the tokenizer: its text is never held, only its
  // first-seen ids (4 bytes per token), which remap() turns into rows in place.
  Corpus first_seen;
  if (!config.data.cache.empty()) {
    // With a cache the rows live in a file there from the start: pages the kernel can write
    // back and drop, so a corpus whose rows exceed memory still encodes.
    ensure_writable_dir(config.data.cache);
    first_seen.ids = RowIds::in_file(config.data.cache);
  }
  ExampleLabels train_labels;
  const TokenCounts counts = count_tokens(data.train, data.format, data.skip_bad_lines, "data.train", tokenizer,
                                          first_seen, train_labels);
  const LabelSet labels = LabelSet::from_training(train_labels, data.labels);
  check_label_kind(labels.names(), data);
  PreparedData prepared;
  prepared.vocab = make_vocab(config.vocab, counts);
  prepared.rows = table_rows(config.vocab, prepared.vocab.size());
  std::optional<Ngrams> ngrams;
  if (Ngrams::enabled(config.vocab)) ngrams.emplace(config.vocab, prepared.vocab.size());
  const Ngrams* hashed = ngrams ? &*ngrams : nullptr;
  check_row_count(prepared.rows, config);
  prepared.train = remap(std::move(first_seen), counts, prepared.vocab, hashed, &prepared.bucket_names);
  labels.apply(train_labels, prepared.train);
  prepared.labels = labels.names();
  prepared.counts = counts_for(prepared.vocab, counts);
  prepared.counts.resize(static_cast<size_t>(prepared.rows), 0);
  prepared.positive_counts.assign(static_cast<size_t>(prepared.rows), 0);
  const Corpus& train = prepared.train;
  const size_t classes = prepared.labels.size();
  prepared.label_counts.assign(static_cast<size_t>(prepared.rows) * classes, 0);
  for (int64_t i = 0; i < train.size(); ++i) {
    const bool positive = train.labels[static_cast<size_t>(i)] >= 0.5f;
    for (int64_t t = train.offsets[static_cast<size_t>(i)]; t < train.offsets[static_cast<size_t>(i) + 1]; ++t) {
      const auto row = static_cast<size_t>(train.ids[static_cast<size_t>(t)]);
      if (row >= static_cast<size_t>(prepared.vocab.size())) ++prepared.counts[row];  // a bucket row
      if (positive) ++prepared.positive_counts[row];
      if (classes == 0) continue;
      for (int64_t k = train.label_offsets[static_cast<size_t>(i)]; k < train.label_offsets[static_cast<size_t>(i) + 1]; ++k) {
        ++prepared.label_counts[row * classes + static_cast<size_t>(train.label_ids[static_cast<size_t>(k)])];
      }
    }
  }
  if (classes > 0) {
    std::string names;
    for (size_t c = 0; c < classes && c < 10; ++c) names += (c ? ", " : "") + prepared.labels[c];
    spdlog::info("{} labels, one Sigmoid output each: {}{}", classes, names, classes > 10 ? ", …" : "");
  }
  if (ngrams) {
    spdlog::info("{} hashed rows after the {} word rows; the training data hits {} of them",
                 config.vocab.buckets, prepared.vocab.size(), prepared.bucket_names.rows().size());
  }
  log_encoding("train", data.train, train_labels.skipped_lines, prepared.train);
  const int64_t unk = prepared.vocab.unk_id();
  if (unk >= 0 && prepared.train.oov_to_unk == 0 && prepared.counts[static_cast<size_t>(unk)] == 0) {
    spdlog::warn("<unk> gets no training examples (every training token is in the vocabulary), so "
                 "unknown words at predict time read an untrained row; vocab.min_count=2 trains it "
                 "on the tokens seen once");
  }
  auto load = [&](const std::string& path, const char* name) -> std::optional<Corpus> {
    if (path.empty()) return std::nullopt;
    const TextDataset text = read_dataset(path, data.format, data.skip_bad_lines, std::string("data.") + name);
    Corpus corpus = encode(text, tokenizer, prepared.vocab, hashed);
    labels.apply(text, corpus);
    log_encoding(name, text.path, text.skipped_lines, corpus);
    return corpus;
  };
  prepared.valid = load(data.valid, "valid");
  prepared.test = load(data.test, "test");
  return prepared;
}

}  // namespace

PreparedData prepare_data(const Config& config) {
  if (config.data.cache.empty()) return encode_data(config);
  const std::string key = corpus_cache_key(config);
  const std::string path = corpus_cache_path(config, key);
  if (auto cached = load_corpus_cache(path, key)) {
    spdlog::info("data.cache: {} examples, {} tokens mapped from {} (no tokenising)", cached->train.size(),
                 cached->train.ids.size(), path);
    return std::move(*cached);
  }
  PreparedData prepared = encode_data(config);
  save_corpus_cache(path, key, prepared);
  return prepared;
}

}  // namespace embtrain
