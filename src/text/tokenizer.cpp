// tokenizer.cpp — whitespace and code-point splitting over string_views.
#include "embtrain/text/tokenizer.h"

#include "embtrain/text/config.h"

namespace embtrain {
namespace {

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Length of the UTF-8 sequence starting with `lead` (1 for bytes that are not leads).
size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

}  // namespace

TokenizerOptions TokenizerOptions::from(const VocabConfig& vocab) {
  TokenizerOptions options;
  options.kind = vocab.tokenizer == "char" ? Kind::chars : Kind::whitespace;
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
    size_t i = 0;
    while (i < n) {
      while (i < n && is_space(static_cast<unsigned char>(text[i]))) ++i;
      const size_t start = i;
      while (i < n && !is_space(static_cast<unsigned char>(text[i]))) ++i;
      if (i > start) tokens.push_back(text.substr(start, i - start));
    }
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

bool valid_utf8(std::string_view text, size_t* bad_offset) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code = 0;
    if ((c >> 5) == 0x6) {
      length = 2;
      code = c & 0x1F;
    } else if ((c >> 4) == 0xE) {
      length = 3;
      code = c & 0x0F;
    } else if ((c >> 3) == 0x1E) {
      length = 4;
      code = c & 0x07;
    }
    bool ok = length != 0 && i + length <= n;
    for (size_t k = 1; ok && k < length; ++k) {
      ok = (s[i + k] >> 6) == 0x2;
      code = (code << 6) | (s[i + k] & 0x3F);
    }
    // Reject overlong forms, surrogates and code points past U+10FFFF.
    if (ok) {
      ok = !(length == 2 && code < 0x80) && !(length == 3 && code < 0x800) &&
           !(length == 4 && (code < 0x10000 || code > 0x10FFFF)) &&
           !(code >= 0xD800 && code <= 0xDFFF);
    }
    if (!ok) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += length;
  }
  return true;
}

}  // namespace embtrain
