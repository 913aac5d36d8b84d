// test_vocab.cpp — first-seen and frequency order, specials, limits, files.
#include "../catch.h"

#include "embtrain/text/config.h"
#include "embtrain/text/error.h"
#include "embtrain/text/threads.h"
#include "embtrain/text/vocab.h"
#include "../helpers.h"

using namespace embtrain;
using embtrain::test::spit;
using embtrain::test::TempDir;

namespace {
TokenCounts counts_of(std::initializer_list<const char*> tokens) {
  TokenCounts counts;
  for (const char* token : tokens) counts.add(token);
  return counts;
}
std::vector<std::string> tokens_of(const Vocab& vocab) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < vocab.size(); ++i) out.push_back(vocab.token(i));
  return out;
}
}  // namespace

TEST_CASE("first-seen order reproduces the article's encoding pattern") {
  const auto counts = counts_of({"I", "am", "happy", "I", "am", "sad"});
  VocabConfig config;
  const Vocab vocab = build_vocab(counts, config);
  CHECK(tokens_of(vocab) == std::vector<std::string>{"I", "am", "happy", "sad"});
  CHECK(vocab.find("sad") == 3);
  CHECK(vocab.find("nope") == -1);
  CHECK(vocab.unk_id() == -1);
  CHECK(counts_for(vocab, counts) == std::vector<int64_t>{2, 2, 1, 1});
}

TEST_CASE("frequency order keeps first-seen order among ties - min_count and max_size cut") {
  const auto counts = counts_of({"b", "a", "c", "a", "c", "d", "c"});
  VocabConfig config;
  config.order = VocabOrder::frequency;
  CHECK(tokens_of(build_vocab(counts, config)) == std::vector<std::string>{"c", "a", "b", "d"});
  config.min_count = 2;
  CHECK(tokens_of(build_vocab(counts, config)) == std::vector<std::string>{"c", "a"});
  config.min_count = 1;
  config.max_size = 3;
  config.specials = {"<pad>", "<unk>"};
  const Vocab vocab = build_vocab(counts, config);
  CHECK(tokens_of(vocab) == std::vector<std::string>{"<pad>", "<unk>", "c"});
  CHECK(vocab.unk_id() == 1);
}

TEST_CASE("vocabulary files: the first problem in file order is named, whatever the thread count") {
  // Lines are checked on the pool and added in order: a duplicate before a bad line is the
  // error, and a bad line before a duplicate; the ids are the line numbers for 1 to 3 threads.
  TempDir dir;
  std::string big, dup_first, bad_first;
  for (int i = 0; i < 5000; ++i) big += "t" + std::to_string(i) + "\n";
  dup_first = big + "t7\n" + "x\xff\n";
  bad_first = big + "x\xff\n" + "t7\n";
  spit(dir / "big.txt", big);
  spit(dir / "dup-first.txt", dup_first);
  spit(dir / "bad-first.txt", bad_first);
  for (const int64_t threads : {1, 2, 3}) {
    set_shared_threads(threads, {}, /*always_split=*/true);
    INFO("threads " << threads);
    const Vocab vocab = Vocab::load(dir / "big.txt");
    REQUIRE(vocab.size() == 5000);
    CHECK(vocab.find("t0") == 0);
    CHECK(vocab.find("t4321") == 4321);
    CHECK(vocab.token(4999) == "t4999");
    CHECK_THROWS_WITH(Vocab::load(dir / "dup-first.txt"),
                      embtrain::test::contains("dup-first.txt:5001") && embtrain::test::contains("line 8"));
    CHECK_THROWS_WITH(Vocab::load(dir / "bad-first.txt"),
                      embtrain::test::contains("bad-first.txt:5001") && embtrain::test::contains("UTF-8 at byte 2"));
  }
  set_shared_threads(1);
}

TEST_CASE("a special token seen in the data keeps its special slot") {
  const auto counts = counts_of({"x", "<unk>", "y"});
  VocabConfig config;
  config.specials = {"<unk>"};
  CHECK(tokens_of(build_vocab(counts, config)) == std::vector<std::string>{"<unk>", "x", "y"});
}

TEST_CASE("vocabulary files: line number is the id - duplicates and empty lines are errors") {
  TempDir dir;
  spit(dir / "v.txt", "zeta\r\nalpha\nmid\n");
  const Vocab vocab = Vocab::load(dir / "v.txt");
  CHECK(tokens_of(vocab) == std::vector<std::string>{"zeta", "alpha", "mid"});
  CHECK(vocab.to_text() == "zeta\nalpha\nmid\n");

  spit(dir / "dup.txt", "a\nb\na\n");
  CHECK_THROWS_WITH(Vocab::load(dir / "dup.txt"),
                    embtrain::test::contains("dup.txt:3") && embtrain::test::contains("duplicate token 'a'") &&
                        embtrain::test::contains("line 1"));
  spit(dir / "empty-line.txt", "a\n\nb\n");
  CHECK_THROWS_WITH(Vocab::load(dir / "empty-line.txt"), embtrain::test::contains("empty-line.txt:2"));
  spit(dir / "cr.txt", "ok\nCCC\r\r\n");  // found by fuzz_vocab: could not round-trip
  CHECK_THROWS_WITH(Vocab::load(dir / "cr.txt"), embtrain::test::contains("cr.txt:2") && embtrain::test::contains("carriage return"));
  spit(dir / "empty.txt", "");
  CHECK_THROWS_WITH(Vocab::load(dir / "empty.txt"), embtrain::test::contains("is empty"));
  spit(dir / "bad.txt", "ok\n\xff\n");
  CHECK_THROWS_WITH(Vocab::load(dir / "bad.txt"), embtrain::test::contains("bad.txt:2") && embtrain::test::contains("UTF-8"));
  CHECK_THROWS_WITH(Vocab::load(dir / "missing.txt"), embtrain::test::contains("missing.txt"));
}

TEST_CASE("make_vocab: an empty built vocabulary is a usage error") {
  const auto counts = counts_of({"a"});
  VocabConfig config;
  config.min_count = 5;
  try {
    make_vocab(config, counts);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK_THAT(e.what(), embtrain::test::contains("min_count"));
  }
}

TEST_CASE("a moved vocabulary still finds its tokens") {
  Vocab vocab;
  for (int i = 0; i < 1000; ++i) vocab.add("token" + std::to_string(i));
  Vocab moved = std::move(vocab);
  CHECK(moved.find("token0") == 0);
  CHECK(moved.find("token999") == 999);
}
