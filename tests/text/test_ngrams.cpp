// test_ngrams.cpp — fastText's hashing and n-gram rows, against values worked out from the
// definitions in fastText's src/dictionary.cc (hash, computeSubwords, addWordNgrams) with
// Python integers; a sentence's encoding with hashed rows; configs that cannot take them.
#include "../catch.h"

#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"
#include "embtrain/text/ngrams.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/text/vocab.h"

using namespace embtrain;

namespace {

VocabConfig hashed(int64_t word_ngrams, bool subwords, int64_t buckets, int64_t minn = 3, int64_t maxn = 6) {
  VocabConfig config;
  config.word_ngrams = word_ngrams;
  config.subwords = subwords;
  config.buckets = buckets;
  config.minn = minn;
  config.maxn = maxn;
  return config;
}

}  // namespace

TEST_CASE("fasttext_hash is FNV-1a over sign-extended bytes") {
  CHECK(fasttext_hash("") == 2166136261u);
  CHECK(fasttext_hash("free") == 2578706139u);
  CHECK(fasttext_hash("money") == 3780168015u);
  CHECK(fasttext_hash("<wh") == 1048167652u);
  CHECK(fasttext_hash("\xc3\xa9") == 1023043777u);  // é: bytes >= 0x80 are sign-extended
}

TEST_CASE("word n-grams land in fastText's bucket") {
  const Ngrams bigrams(hashed(2, false, 2000000), 10);
  std::vector<RowId> ids;
  bigrams.add_word_ngrams({fasttext_hash("free"), fasttext_hash("money")}, ids);
  CHECK(ids == std::vector<RowId>{10 + 1170088});
  ids.clear();
  bigrams.add_word_ngrams({fasttext_hash("money"), fasttext_hash("free")}, ids);  // order matters
  CHECK(ids == std::vector<RowId>{10 + 1988208});

  const Ngrams trigrams(hashed(3, false, 2000000), 0);
  ids.clear();
  const std::vector<std::string_view> tokens = {"free", "money", "now"};
  std::vector<std::string> names;
  trigrams.add_word_ngrams({fasttext_hash("free"), fasttext_hash("money"), fasttext_hash("now")}, ids,
                           &tokens, &names);
  // i = 0: "free money", "free money now"; i = 1: "money now".
  REQUIRE(ids.size() == 3);
  CHECK(ids[0] == 1170088);
  CHECK(ids[1] == 1399215);
  CHECK(names == std::vector<std::string>{"free money", "free money now", "money now"});

  const Ngrams small(hashed(2, false, 1000), 0);
  ids.clear();
  small.add_word_ngrams({fasttext_hash("\xc3\xa9"), fasttext_hash("a")}, ids);
  CHECK(ids == std::vector<RowId>{191});
}

TEST_CASE("subwords are the character n-grams of <token>, code points counted") {
  const Ngrams three(hashed(1, true, 2000000, 3, 3), 5);
  std::vector<RowId> ids;
  std::vector<std::string> names;
  three.add_subwords("where", ids, &names);
  CHECK(names == std::vector<std::string>{"<wh", "whe", "her", "ere", "re>"});  // fastText's example
  REQUIRE(ids.size() == 5);
  CHECK(ids[0] == 5 + 167652);
  CHECK(ids[1] == 5 + 420941);

  // n = 1 keeps inner characters only; a two-byte code point counts once.
  const Ngrams ones(hashed(1, true, 100, 1, 2), 0);
  names.clear();
  ids.clear();
  ones.add_subwords("\xc3\xa9t", ids, &names);
  CHECK(names == std::vector<std::string>{"<\xc3\xa9", "\xc3\xa9", "\xc3\xa9t", "t", "t>"});
}

TEST_CASE("a sentence's ids: words, then each token's subwords, then word n-grams") {
  VocabConfig config = hashed(2, true, 50, 4, 4);
  Vocab vocab;
  vocab.add("<unk>");
  vocab.add("ab");
  TextDataset data;
  data.rows.push_back({1, "ab zz"});
  Tokenizer tokenizer(TokenizerOptions::from(config));
  const Ngrams ngrams(config, vocab.size());
  const Corpus corpus = encode(data, tokenizer, vocab, &ngrams);
  std::vector<RowId> expected = {1, 0};  // "ab", then "zz" as <unk>
  for (const char* gram : {"<ab>", "<zz>"}) expected.push_back(static_cast<RowId>(2 + fasttext_hash(gram) % 50));
  std::vector<RowId> bigram;
  ngrams.add_word_ngrams({fasttext_hash("ab"), fasttext_hash("zz")}, bigram);
  expected.push_back(bigram.at(0));
  CHECK(corpus.ids == expected);
  CHECK(corpus.offsets == std::vector<int64_t>{0, 5});
  CHECK(table_rows(config, vocab.size()) == 52);
  CHECK(table_rows(VocabConfig{}, vocab.size()) == 2);
}

TEST_CASE("bucket names list the n-grams most frequent first") {
  BucketNames names;
  names.add(7, "free money", 3);
  names.add(7, "<mon", 5);
  names.add(7, "free money", 4);
  names.add(7, "ab", 1);
  names.add(7, "zz", 1);
  names.add(9, "x y", 1);
  CHECK(names.name(7) == "free money · <mon · ab · +1 more");
  CHECK(names.name(9) == "x y");
  CHECK(names.name(8).empty());
  CHECK(names.rows() == std::vector<int64_t>{7, 9});
}

TEST_CASE("hashed rows need pooled bags, and minn <= maxn") {
  CHECK_THROWS_WITH(load_config("", {"data.train=x.tsv", "vocab.word_ngrams=2"}),
                    embtrain::test::contains("model.pooling 'flatten'"));
  CHECK_THROWS_WITH(load_config("", {"data.train=x.tsv", "vocab.subwords=true", "model.pooling=mean",
                                     "vocab.minn=5", "vocab.maxn=4"}),
                    embtrain::test::contains("'vocab.minn'"));
  CHECK_NOTHROW(load_config("", {"data.train=x.tsv", "vocab.word_ngrams=2", "model.pooling=mean"}));
}
