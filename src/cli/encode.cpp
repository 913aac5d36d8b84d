// encode.cpp — `embtrain encode`: sentences -> JSON arrays of token ids.
#include <iostream>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/ngrams.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/text/vocab.h"

namespace embtrain::cli {
namespace {

struct EncodeOptions {
  ConfigOptions config;
  std::vector<std::string> texts;
};

void run_encode(const EncodeOptions& options) {
  apply_logging(options.config);
  const Config config = load_config(options.config.config_path, options.config.overrides);
  Tokenizer tokenizer(TokenizerOptions::from(config.vocab));
  TokenCounts counts;
  if (config.vocab.file.empty()) {
    counts = count_tokens(read_dataset(config.data.train, config.data.format,
                                       config.data.skip_bad_lines),
                          tokenizer);
  }
  const Vocab vocab = make_vocab(config.vocab, counts);
  // The rows the model trains on: word rows first, then (word_ngrams > 1 or subwords) each
  // token's character n-gram rows and each word n-gram's row, as dataset.h's encode gives them.
  std::optional<Ngrams> ngrams;
  if (Ngrams::enabled(config.vocab)) ngrams.emplace(config.vocab, vocab.size());
  int64_t unknown = 0, total = 0, line_number = 0, unk_mapped = 0, dropped = 0;
  auto encode_line = [&](const std::string& text) {
    ++line_number;
    TextDataset one;
    one.rows.push_back({0, text, {}, line_number});
    const Corpus corpus = encode(one, tokenizer, vocab, ngrams ? &*ngrams : nullptr);
    // Tokens with no row at all: encode counted them (unknown_share's numerator).
    const int64_t missing = corpus.oov_to_unk + corpus.oov_dropped - corpus.oov_with_subwords;
    unknown += missing;
    total += corpus.text_tokens;
    if (corpus.unknown_share() > kUnknownWarnShare) {
      spdlog::warn("input {}: {} of {} tokens have no row (not in the vocabulary{})", line_number, missing,
                   corpus.text_tokens, ngrams && ngrams->subwords() ? ", no character n-gram" : "");
    }
    unk_mapped += corpus.oov_to_unk;
    dropped += corpus.oov_dropped;
    nlohmann::json ids = nlohmann::json::array();
    for (int64_t i = corpus.offsets[0]; i < corpus.offsets[1]; ++i) ids.push_back(corpus.ids[static_cast<size_t>(i)]);
    std::cout << ids.dump() << '\n';
  };
  if (!options.texts.empty()) {
    for (const auto& text : options.texts) encode_line(text);
  } else {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      encode_line(line);
    }
  }
  if (unknown) {
    // With subwords, an unknown word's n-grams are rows: only words with none are counted.
    spdlog::info("{} of {} tokens ({:.1f}%) are not in the vocabulary{}{}", unknown, total,
                 100.0 * static_cast<double>(unknown) / static_cast<double>(total),
                 ngrams && ngrams->subwords() ? " and have no character n-gram" : "",
                 dropped ? " and were dropped (no <unk> in the vocabulary)"
                         : unk_mapped ? ", encoded as <unk>" : "");
  }
}

}  // namespace

void setup_encode(CLI::App& app) {
  auto options = std::make_shared<EncodeOptions>();
  CLI::App* command = app.add_subcommand(
      "encode",
      "Print each sentence as a JSON array of the embedding rows the model sees (arguments, else "
      "one per stdin line): the word ids in order, then, with vocab.subwords, each token's "
      "character n-gram rows and, with vocab.word_ngrams > 1, each word n-gram's row (rows from "
      "V = the vocabulary size on are hashed buckets)");
  add_config_options(*command, options->config);
  command->add_option("text", options->texts, "Sentences to encode (default: read stdin)");
  command->footer(
      "Examples:\n"
      "  embtrain encode --config configs/seed.json \"I am happy\" \"Feeling very sad\"\n"
      "  cut -f2 data/seed/train.tsv | embtrain encode --config configs/seed.json");
  command->callback([options] { run_encode(*options); });
}

}  // namespace embtrain::cli
