// test_vectors.cpp — .vec reading and the text/binary word2vec writers.
#include "../catch.h"
#include <cstring>

#include "embtrain/text/error.h"
#include "embtrain/text/vectors.h"
#include "../helpers.h"

using namespace embtrain;
using embtrain::test::spit;
using embtrain::test::TempDir;

TEST_CASE("format_vec writes a header and round-trips float32 exactly") {
  Vocab vocab;
  vocab.add("happy");
  vocab.add("a b");  // whitespace cannot be carried as is
  const std::vector<float> values = {0.1f, -1e-8f, 3.4028235e38f, 1.0f / 3};
  int64_t replaced = 0;
  const std::string text = format_vec(vocab, {2, 2, values.data()}, &replaced);
  CHECK(replaced == 1);
  CHECK(text.rfind("2 2\nhappy ", 0) == 0);
  CHECK(text.find("a\\sb ") != std::string::npos);
  TempDir dir;
  spit(dir / "v.vec", text);
  const WordVectors back = read_vec(dir / "v.vec");
  CHECK(back.dim == 2);
  CHECK(back.vocab.find("a b") == 1);
  CHECK(back.values == values);  // bit-exact
}

TEST_CASE("format_word2vec_bin: header then token, space, raw float32, newline") {
  Vocab vocab;
  vocab.add("x");
  const std::vector<float> values = {1.5f, -2.0f};
  const std::string bytes = format_word2vec_bin(vocab, {1, 2, values.data()});
  REQUIRE(bytes.size() == 4 + 2 + 8 + 1);
  CHECK(bytes.substr(0, 6) == "1 2\nx ");
  float read[2];
  std::memcpy(read, bytes.data() + 6, sizeof read);
  CHECK(read[0] == 1.5f);
  CHECK(read[1] == -2.0f);
  CHECK(bytes.back() == '\n');
}

TEST_CASE("malformed .vec files are errors naming file and line") {
  TempDir dir;
  auto error_of = [&](const std::string& text) {
    spit(dir / "bad.vec", text);
    try {
      read_vec(dir / "bad.vec");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error_of(""), embtrain::test::contains("bad.vec:1"));
  CHECK_THAT(error_of("two 2\n"), embtrain::test::contains("header"));
  CHECK_THAT(error_of("1 2\na 1\n"), embtrain::test::contains("bad.vec:2") && embtrain::test::contains("1 values"));
  CHECK_THAT(error_of("1 2\na 1 x\n"), embtrain::test::contains("not a finite number"));
  CHECK_THAT(error_of("1 2\na 1 nan\n"), embtrain::test::contains("not a finite number"));
  CHECK_THAT(error_of("2 1\na 1\na 2\n"), embtrain::test::contains("bad.vec:3") && embtrain::test::contains("duplicate"));
  CHECK_THAT(error_of("3 1\na 1\n"), embtrain::test::contains("header says 3"));
  CHECK_THAT(error_of("1 1\n\xff 1\n"), embtrain::test::contains("UTF-8"));
  CHECK_THROWS_WITH(read_vec(dir / "missing.vec"), embtrain::test::contains("missing.vec"));
}
