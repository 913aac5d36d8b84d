// test_tokenizer.cpp — whitespace and char tokenizers, lowercasing, UTF-8 checks.
#include "../catch.h"

#include "embtrain/text/config.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/text/utf8.h"

using namespace embtrain;

TEST_CASE("whitespace splits on runs of whitespace like str.split()") {
  Tokenizer tokenizer({});
  CHECK(tokenizer.tokenize("  I am\thappy \r\n") == std::vector<std::string>{"I", "am", "happy"});
  CHECK(tokenizer.tokenize("").empty());
  CHECK(tokenizer.tokenize("   ").empty());
}

TEST_CASE("lowercase folds ASCII only") {
  VocabConfig config;
  config.lowercase = true;
  Tokenizer tokenizer(TokenizerOptions::from(config));
  CHECK(tokenizer.tokenize("Feeling VERY Ünicode") ==
        std::vector<std::string>{"feeling", "very", "Ünicode"});
}

TEST_CASE("char makes each UTF-8 code point a token, spaces included") {
  VocabConfig config;
  config.tokenizer = TokenizerKind::chars;
  Tokenizer tokenizer(TokenizerOptions::from(config));
  CHECK(tokenizer.tokenize("aé €😀") == std::vector<std::string>{"a", "é", " ", "€", "😀"});
  CHECK(tokenizer.tokenize("a\rb") == std::vector<std::string>{"a", "b"});  // CR dropped
}

TEST_CASE("valid_utf8 finds the first bad byte") {
  size_t bad = 99;
  CHECK(valid_utf8("plain ascii"));
  CHECK(valid_utf8("é€😀"));
  CHECK_FALSE(valid_utf8("ab\xff", &bad));
  CHECK(bad == 2);
  CHECK_FALSE(valid_utf8("\xc3", &bad));          // truncated
  CHECK_FALSE(valid_utf8("\xc0\xaf", &bad));      // overlong '/'
  CHECK_FALSE(valid_utf8("\xed\xa0\x80", &bad));  // surrogate
  CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80", &bad));  // past U+10FFFF
}
