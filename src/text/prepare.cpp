// prepare.cpp — data, vocabulary and run folder for `embtrain train`.
#include "embtrain/text/prepare.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "embtrain/text/config.h"
#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/text/tokenizer.h"

namespace embtrain {

namespace {

void log_encoding(const std::string& name, const TextDataset& text, const Corpus& corpus) {
  if (text.skipped_lines) spdlog::warn("{}: skipped {} bad lines", text.path, text.skipped_lines);
  if (corpus.oov_dropped) {
    spdlog::info("{} data: {} out-of-vocabulary tokens dropped (the vocabulary has no <unk>)", name,
                 corpus.oov_dropped);
  }
  if (corpus.oov_to_unk) spdlog::info("{} data: {} tokens mapped to <unk>", name, corpus.oov_to_unk);
}

}  // namespace

PreparedData prepare_data(const Config& config) {
  Tokenizer tokenizer(TokenizerOptions::from(config.vocab));
  const auto& data = config.data;
  const TextDataset train_text = read_dataset(data.train, data.format, data.skip_bad_lines);
  Corpus first_seen;
  const TokenCounts counts = count_tokens(train_text, tokenizer, &first_seen);
  PreparedData prepared;
  prepared.vocab = make_vocab(config.vocab, counts);
  prepared.counts = counts_for(prepared.vocab, counts);
  prepared.train = remap(first_seen, counts, prepared.vocab);
  prepared.positive_counts.assign(static_cast<size_t>(prepared.vocab.size()), 0);
  for (int64_t i = 0; i < prepared.train.size(); ++i) {
    if (prepared.train.labels[static_cast<size_t>(i)] < 0.5f) continue;
    for (int64_t t = prepared.train.offsets[static_cast<size_t>(i)]; t < prepared.train.offsets[static_cast<size_t>(i) + 1]; ++t) {
      ++prepared.positive_counts[static_cast<size_t>(prepared.train.ids[static_cast<size_t>(t)])];
    }
  }
  log_encoding("train", train_text, prepared.train);
  auto load = [&](const std::string& path, const char* name) -> std::optional<Corpus> {
    if (path.empty()) return std::nullopt;
    const TextDataset text = read_dataset(path, data.format, data.skip_bad_lines);
    Corpus corpus = encode(text, tokenizer, prepared.vocab);
    log_encoding(name, text, corpus);
    return corpus;
  };
  prepared.valid = load(data.valid, "valid");
  prepared.test = load(data.test, "test");
  return prepared;
}

}  // namespace embtrain
