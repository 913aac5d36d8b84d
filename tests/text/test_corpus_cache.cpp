// test_corpus_cache.cpp — data.cache: a mapped cache gives what encoding gives; stale or damaged
// files are never used; the word objectives' corpus likewise; RowIds grows in place and views stay
// read-only.
#include "../catch.h"

#include <filesystem>
#include <fstream>

#include "embtrain/text/config.h"
#include "embtrain/text/corpus_cache.h"
#include "embtrain/text/prepare.h"
#include "embtrain/text/row_ids.h"
#include "embtrain/text/word_corpus.h"
#include "../helpers.h"

using namespace embtrain;
using embtrain::test::slurp;
using embtrain::test::spit;
using embtrain::test::TempDir;

namespace {

Config config_in(const TempDir& dir, const std::string& train_text) {
  spit(dir / "train.txt", train_text);
  spit(dir / "test.txt", "__label__b x y z\n__label__a never seen\n");
  Config config = load_config("", {"data.train=" + std::string(dir / "train.txt"),
                                   "data.test=" + std::string(dir / "test.txt"), "vocab.specials=[\"<unk>\"]",
                                   "data.cache=" + std::string(dir / "cache")});
  return config;
}

void check_same(const Corpus& a, const Corpus& b) {
  CHECK(a.ids == b.ids);
  CHECK(a.offsets == b.offsets);
  CHECK(a.labels == b.labels);
  CHECK(a.label_offsets == b.label_offsets);
  CHECK(a.label_ids == b.label_ids);
  CHECK(a.text_tokens == b.text_tokens);
  CHECK(a.oov_to_unk == b.oov_to_unk);
}

}  // namespace

TEST_CASE("a cached corpus maps back to what encoding gave, for every split") {
  TempDir dir;
  const Config config = config_in(dir, "__label__a x y\n__label__b y z z\n__label__a __label__b x z\n");
  const std::string key = corpus_cache_key(config);
  const std::string path = corpus_cache_path(config, key);
  CHECK_FALSE(std::filesystem::exists(path));
  const PreparedData encoded = prepare_data(config);  // writes the cache
  REQUIRE(std::filesystem::exists(path));
  const auto mapped = load_corpus_cache(path, key);
  REQUIRE(mapped);
  CHECK(mapped->train.ids.read_only());
  CHECK(mapped->vocab.to_text() == encoded.vocab.to_text());
  CHECK(mapped->labels == std::vector<std::string>{"a", "b"});
  CHECK(mapped->counts == encoded.counts);
  CHECK(mapped->label_counts == encoded.label_counts);
  check_same(mapped->train, encoded.train);
  REQUIRE(mapped->test);
  check_same(*mapped->test, *encoded.test);
  CHECK(mapped->train.ids == std::vector<int32_t>{1, 2, 2, 3, 3, 1, 3});  // x y | y z z | x z
  CHECK(mapped->test->oov_to_unk == 2);                                   // "never", "seen"
}

TEST_CASE("a changed input gives another key, so a stale cache is never looked up") {
  TempDir dir;
  const Config config = config_in(dir, "__label__a x y\n__label__b y z\n");
  const std::string key = corpus_cache_key(config);
  CHECK(key == corpus_cache_key(config));  // the same inputs, the same key
  spit(dir / "train.txt", "__label__a x y\n__label__b y q\n");  // same size, one byte changed
  CHECK(corpus_cache_key(config) != key);
  Config other = config;
  other.vocab.lowercase = true;
  CHECK(corpus_cache_key(other) != corpus_cache_key(config));
  other = config;
  other.train.lr = 0.5;  // not an input of the encoding: same key, the cache serves a sweep
  CHECK(corpus_cache_key(other) == corpus_cache_key(config));
}

TEST_CASE("a damaged cache file is refused and rebuilt, never used") {
  TempDir dir;
  const Config config = config_in(dir, "__label__a x y\n__label__b y z\n");
  const std::string key = corpus_cache_key(config);
  const std::string path = corpus_cache_path(config, key);
  prepare_data(config);
  const std::string good = slurp(path);
  REQUIRE(load_corpus_cache(path, key));

  CHECK_FALSE(load_corpus_cache(path, "0000000000000000"));  // another key's content
  spit(path, good.substr(0, good.size() / 2));                   // truncated
  CHECK_FALSE(load_corpus_cache(path, key));
  // The training rows x y | y z are int32 1 2 2 3 (the int64 counts before them never hold
  // these 8 bytes): make the first one 0x7f000001, far outside the table.
  const auto rows_at = good.find(std::string("\x01\x00\x00\x00\x02\x00\x00\x00", 8));
  REQUIRE(rows_at != std::string::npos);
  std::string bad = good;
  bad[rows_at + 3] = '\x7f';
  spit(path, bad);
  CHECK_FALSE(load_corpus_cache(path, key));
  spit(path, "not a cache at all, but long enough to have a prelude.....");
  CHECK_FALSE(load_corpus_cache(path, key));
  // prepare_data then encodes again and rewrites it.
  const PreparedData again = prepare_data(config);
  CHECK(slurp(path) == good);
  CHECK_FALSE(again.train.ids.read_only());
}

TEST_CASE("a cached word corpus reads back as the text gave it, skipgram and cbow share it") {
  TempDir dir;
  spit(dir / "train.txt", "b a c a\nq\na b\n");
  spit(dir / "pairs.tsv", "a\tb\t1\n");
  Config config = load_config("", {"data.train=" + std::string(dir / "train.txt"), "data.format=text",
                                   "model.objective=skipgram", "train.optimizer=sgd", "vocab.min_count=2", "vocab.order=frequency",
                                   "data.cache=" + std::string(dir / "cache")});
  const std::string key = corpus_cache_key(config);
  const std::string path = corpus_cache_path(config, key);
  CHECK(std::filesystem::path(path).filename() == "words-" + key + ".bin");
  const WordCorpus read = prepare_word_corpus(config);  // writes the cache
  REQUIRE(std::filesystem::exists(path));
  const auto cached = load_word_cache(path, key);
  REQUIRE(cached);
  CHECK(cached->vocab.to_text() == read.vocab.to_text());
  // "a" 3 times, "b" twice; "c" and "q" below min_count 2 are dropped.
  CHECK(cached->counts == std::vector<int64_t>{3, 2});
  CHECK(cached->ids == std::vector<int32_t>{1, 0, 0, 0, 1});  // b a a | | a b
  CHECK(cached->line_offsets == std::vector<int64_t>{0, 3, 3, 5});
  CHECK(cached->text_tokens == 7);
  CHECK(cached->dropped == 2);
  CHECK(prepare_word_corpus(config).ids == read.ids);  // from the cache now

  Config other = config;
  other.model.objective = Objective::cbow;
  CHECK(corpus_cache_key(other) == key);
  other.data.valid = std::string(dir / "pairs.tsv");  // a pairs file is scored apart
  CHECK(corpus_cache_key(other) == key);
  other.vocab.min_count = 1;
  CHECK(corpus_cache_key(other) != key);
  other = config;
  other.model.objective = Objective::classify;  // the classifier's cache is another file
  CHECK(corpus_cache_key(other) != key);

  const std::string good = slurp(path);
  spit(path, good.substr(0, good.size() - 3));  // truncated
  CHECK_FALSE(load_word_cache(path, key));
  std::string bad = good;
  const auto ids_at = good.find(std::string("\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12));
  REQUIRE(ids_at != std::string::npos);  // the int32 ids 1 0 0
  bad[ids_at] = '\x05';                  // a word outside the vocabulary of 2
  spit(path, bad);
  CHECK_FALSE(load_word_cache(path, key));
  CHECK_FALSE(load_corpus_cache(path, key));  // not a classifier's cache either
  prepare_word_corpus(config);
  CHECK(slurp(path) == good);  // read again and rewritten
}

TEST_CASE("RowIds grows in place and a view refuses writes") {
  RowIds ids;
  for (int32_t i = 0; i < 100000; ++i) ids.push_back(i);  // past several mremap() growths
  REQUIRE(ids.size() == 100000);
  CHECK(ids[0] == 0);
  CHECK(ids[99999] == 99999);
  RowIds copy = ids;
  CHECK(copy == ids);
  copy.set(5, -1);
  CHECK(copy != ids);
  ids.resize(3);
  CHECK(ids == std::vector<int32_t>{0, 1, 2});
  const std::vector<int32_t> backing{7, 8, 9};
  const RowIds view = RowIds::view(backing.data(), backing.size(), nullptr);
  CHECK(view == std::vector<int32_t>{7, 8, 9});
  CHECK(view.read_only());
  RowIds writable_copy = view;
  CHECK_FALSE(writable_copy.read_only());
  RowIds moved = RowIds::view(backing.data(), backing.size(), nullptr);
  CHECK_THROWS(moved.push_back(1));

  // The same in a temp file (data.cache's rows): it grows, moves and copies alike.
  TempDir dir;
  RowIds in_file = RowIds::in_file(dir.path.string());
  for (int32_t i = 0; i < 100000; ++i) in_file.push_back(i * 3);
  CHECK(in_file.size() == 100000);
  CHECK(in_file[99999] == 299997);
  RowIds taken = std::move(in_file);
  CHECK(taken[12345] == 37035);
  CHECK(std::filesystem::is_empty(dir.path));  // unlinked: nothing is left behind
  CHECK_THROWS_WITH(RowIds::in_file(dir / "missing"), embtrain::test::contains("cannot create a file for the corpus rows"));
}
