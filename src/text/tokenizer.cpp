// tokenizer.cpp — whitespace and code-point splitting over string_views.
#include "embtrain/text/tokenizer.h"

#include "embtrain/text/config.h"

namespace embtrain {
namespace {

// Length of the UTF-8 sequence starting with `lead` (1 for bytes that are not leads).
size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

}  // namespace

void split_whitespace(std::string_view text, std::vector<std::string_view>& parts) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    while (i < n && is_whitespace(static_cast<unsigned char>(text[i]))) ++i;
    const size_t start = i;
    while (i < n && !is_whitespace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) parts.push_back(text.substr(start, i - start));
  }
}

TokenizerOptions TokenizerOptions::from(const VocabConfig& vocab) {
  TokenizerOptions options;
  options.kind = vocab.tokenizer == TokenizerKind::chars ? Kind::chars : Kind::whitespace;
  options.lowercase = vocab.lowercase;
  return options;
}

void Tokenizer::split(std::string_view text, std::vector<std::string_view>& tokens) {
  tokens.clear();
  if (options_.lowercase) {
    lowered_.assign(text.data(), text.size());
    for (char& c : lowered_) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    text = lowered_;
  }
  const size_t n = text.size();
  if (options_.kind == TokenizerOptions::Kind::whitespace) {
    split_whitespace(text, tokens);
  } else {
    for (size_t i = 0; i < n;) {
      const size_t length = std::min(sequence_length(static_cast<unsigned char>(text[i])), n - i);
      // Carriage returns are line-ending noise, and no vocabulary file could hold one.
      if (text[i] != '\r') tokens.push_back(text.substr(i, length));
      i += length;
    }
  }
}

std::vector<std::string> Tokenizer::tokenize(std::string_view text) {
  std::vector<std::string_view> views;
  split(text, views);
  return {views.begin(), views.end()};
}

}  // namespace embtrain
