// word_corpus.cpp — raw text into lines of word ids (word_corpus.h).
#include "embtrain/text/word_corpus.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <limits>

#include "embtrain/text/corpus_cache.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"
#include "embtrain/text/tokenizer.h"

namespace embtrain {
namespace {

// Calls visit(text) for each line's text, in file order.
void for_each_text(const Config& config, const std::function<void(const std::string&)>& visit) {
  const std::string& path = config.data.train;
  const DataFormat format = config.data.format;
  if (format == DataFormat::text || format == DataFormat::auto_detect) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error::usage("cannot read data.train '" + path + "': no such file or not readable");
    for (std::string line; std::getline(in, line);) visit(line);
    return;
  }
  for_each_example(path, format, config.data.skip_bad_lines, "data.train",
                   [&](const LabeledText& example) { visit(example.text); });
}

}  // namespace

WordCorpus read_word_corpus(const Config& config) {
  Tokenizer tokenizer(TokenizerOptions::from(config.vocab));
  std::vector<std::string_view> tokens;
  // One pass: first-seen ids per line (kept as a Corpus-like buffer), then remapped to the
  // vocabulary.
  TokenCounts counts;
  std::vector<int32_t> seen_ids;  // [tokens read] 4 bytes each: the corpus's largest buffer
  std::vector<int64_t> offsets{0};
  for_each_text(config, [&](const std::string& text) {
    tokenizer.split(text, tokens);
    for (const auto token : tokens) {
      const int64_t id = counts.add(token);
      if (id > std::numeric_limits<int32_t>::max()) {
        throw Error::usage("data.train '" + config.data.train + "' holds more than 2^31 distinct tokens; a word run takes fewer");
      }
      seen_ids.push_back(static_cast<int32_t>(id));
    }
    offsets.push_back(static_cast<int64_t>(seen_ids.size()));
  });
  WordCorpus out;
  out.text_tokens = static_cast<int64_t>(seen_ids.size());
  if (counts.seen.size() == 0) {
    throw Error::usage("data.train '" + config.data.train + "' holds no token: a word objective needs text");
  }
  out.vocab = make_vocab(config.vocab, counts);
  if (out.vocab.size() < 2) {
    throw Error::usage("data.train '" + config.data.train + "' gives a vocabulary of " + std::to_string(out.vocab.size()) +
                       " word(s) at vocab.min_count " + std::to_string(config.vocab.min_count) +
                       ": a word objective needs two words or more (its negative samples are drawn from the "
                       "vocabulary, and with one word every negative is the true word); lower vocab.min_count or "
                       "give more text");
  }
  out.counts = counts_for(out.vocab, counts);
  std::vector<int64_t> row_of(static_cast<size_t>(counts.seen.size()));
  for (int64_t id = 0; id < counts.seen.size(); ++id) row_of[static_cast<size_t>(id)] = out.vocab.find(counts.seen.token(id));
  int64_t pairs_possible = 0;
  out.ids.reserve(seen_ids.size());  // kept <= read: no doubling on the way
  for (size_t line = 0; line + 1 < offsets.size(); ++line) {
    const int64_t before = out.tokens();
    for (int64_t i = offsets[line]; i < offsets[line + 1]; ++i) {
      const int64_t row = row_of[static_cast<size_t>(seen_ids[static_cast<size_t>(i)])];
      if (row < 0) {
        ++out.dropped;
      } else {
        out.ids.push_back(static_cast<int32_t>(row));
      }
    }
    pairs_possible += out.tokens() - before >= 2;
    out.line_offsets.push_back(out.tokens());
  }
  if (pairs_possible == 0) {
    throw Error::usage("data.train '" + config.data.train + "' gives no (word, context) pair: no line keeps two known words (" +
                       std::to_string(out.vocab.size()) + " words reach vocab.min_count " +
                       std::to_string(config.vocab.min_count) + "); lower vocab.min_count or give more text");
  }
  return out;
}

WordCorpus prepare_word_corpus(const Config& config) {
  if (config.data.cache.empty()) return read_word_corpus(config);
  const std::string key = corpus_cache_key(config);
  const std::string path = corpus_cache_path(config, key);
  if (auto cached = load_word_cache(path, key)) {
    spdlog::info("data.cache: {} words, {} tokens read from {} (no tokenising)", cached->vocab.size(),
                 cached->tokens(), path);
    return std::move(*cached);
  }
  WordCorpus corpus = read_word_corpus(config);
  save_word_cache(path, key, corpus);
  return corpus;
}

}  // namespace embtrain
