// tokenizer.h — text -> tokens, no vocabulary, no state between sentences.
//
// "whitespace" splits on runs of ASCII whitespace (the article's str.split());
// "char" makes each UTF-8 code point a token, spaces included (carriage
// returns excepted). `lowercase`
// folds ASCII letters only, so tokens stay byte-identical to the input
// elsewhere. Text must be valid UTF-8 (the data readers check it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace embtrain {

struct VocabConfig;

struct TokenizerOptions {
  enum class Kind { whitespace, chars };
  Kind kind = Kind::whitespace;
  bool lowercase = false;

  static TokenizerOptions from(const VocabConfig& vocab);
};

class Tokenizer {
 public:
  explicit Tokenizer(TokenizerOptions options) : options_(options) {}

  // Fills `tokens` with views into `text` (or into an internal lowercased copy);
  // they stay valid until the next call. No allocation once buffers are warm.
  void split(std::string_view text, std::vector<std::string_view>& tokens);

  // Convenience for callers that keep the tokens.
  std::vector<std::string> tokenize(std::string_view text);

 private:
  TokenizerOptions options_;
  std::string lowered_;
};

// The whitespace of Python's str.split() on ASCII: space, \t, \n, \r, \v, \f.
inline bool is_whitespace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Appends the runs of non-whitespace (space, \t, \n, \r, \v, \f) of `text` to `parts`: Python's
// str.split(), the article's tokenizer, and how word2vec text files separate their fields.
void split_whitespace(std::string_view text, std::vector<std::string_view>& parts);

}  // namespace embtrain
