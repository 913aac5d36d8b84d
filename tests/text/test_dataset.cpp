// test_dataset.cpp — the three readers, bad lines, encoding into one id buffer.
#include "../catch.h"

#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/text/vocab.h"
#include "../helpers.h"

using namespace embtrain;
using embtrain::test::spit;
using embtrain::test::TempDir;

namespace {
std::string read_error(const std::string& name, const std::string& text, bool skip = false) {
  TempDir dir;
  spit(dir / name, text);
  try {
    read_dataset(dir / name, DataFormat::auto_detect, skip);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("TSV, JSONL and fastText give the same rows - CRLF accepted") {
  TempDir dir;
  spit(dir / "a.tsv", "1\tI am happy\r\n0\tI am sad\n\n");
  spit(dir / "a.jsonl", "{\"label\": 1, \"text\": \"I am happy\"}\n{\"text\": \"I am sad\", \"label\": 0}\n");
  spit(dir / "a.txt", "__label__1 I am happy\r\n__label__0 I am sad\n");
  for (const char* name : {"a.tsv", "a.jsonl", "a.txt"}) {
    const TextDataset data = read_dataset(dir / name, DataFormat::auto_detect, false);
    REQUIRE(data.rows.size() == 2);
    CHECK(data.rows[0].label == 1.0f);
    CHECK(data.rows[0].text == "I am happy");
    CHECK(data.rows[1].label == 0.0f);
    CHECK(data.rows[1].text == "I am sad");
  }
}

TEST_CASE("bad lines name the file and line") {
  CHECK_THAT(read_error("x.tsv", "1\tok\nno tab here\n"),
             embtrain::test::contains("x.tsv:2") && embtrain::test::contains("no tab"));
  CHECK_THAT(read_error("x.tsv", ",a\tempty label\n"), embtrain::test::contains("x.tsv:1") && embtrain::test::contains("empty label"));
  CHECK_THAT(read_error("x.tsv", "1\t   \n"), embtrain::test::contains("no text"));
  CHECK_THAT(read_error("x.tsv", std::string("1\ta\0b\n", 6)), embtrain::test::contains("NUL"));
  CHECK_THAT(read_error("x.tsv", "1\tbad \xfe byte\n"), embtrain::test::contains("UTF-8"));
  CHECK_THAT(read_error("x.jsonl", "{\"label\": 1}\n"), embtrain::test::contains("x.jsonl:1") && embtrain::test::contains("text"));
  CHECK_THAT(read_error("x.jsonl", "{\"label\": 2, \"text\": \"a\"}\n"), embtrain::test::contains("0, 1 or a string"));
  CHECK_THAT(read_error("x.jsonl", "{\"labels\": [], \"text\": \"a\"}\n"), embtrain::test::contains("non-empty list"));
  CHECK_THAT(read_error("x.jsonl", "{\"label\": 1, \"labels\": [\"a\"], \"text\": \"a\"}\n"), embtrain::test::contains("not both"));
  CHECK_THAT(read_error("x.jsonl", "{\"label\": 1, \"text\": 5}\n"), embtrain::test::contains("string"));
  CHECK_THAT(read_error("x.jsonl", "{\"label\": 1, \"text\": \"a\"\n"), embtrain::test::contains("invalid JSON"));
  CHECK_THAT(read_error("x.jsonl", "[1, \"a\"]\n"), embtrain::test::contains("object"));
  CHECK_THAT(read_error("x.txt", "1 no label prefix\n"), embtrain::test::contains("__label__"));
  CHECK_THAT(read_error("x.txt", "__label__ text\n"), embtrain::test::contains("empty label"));
  CHECK_THAT(read_error("x.tsv", ""), embtrain::test::contains("no examples"));
  CHECK_THAT(read_error("x.csv", "1,a\n"), embtrain::test::contains("data.format"));
  CHECK_THAT(read_error("x.tsv", "zz\n", true), embtrain::test::contains("1 bad lines skipped"));
}

TEST_CASE("many labels per line in each format, in the line's order") {
  TempDir dir;
  spit(dir / "m.tsv", "b,a\tfirst line\nc\tsecond\n");
  spit(dir / "m.jsonl", "{\"labels\": [\"b\", \"a\"], \"text\": \"first line\"}\n{\"label\": \"c\", \"text\": \"second\"}\n");
  spit(dir / "m.txt", "__label__b  __label__a first line\n__label__c second\n");
  for (const char* name : {"m.tsv", "m.jsonl", "m.txt"}) {
    const TextDataset data = read_dataset(dir / name, DataFormat::auto_detect, false);
    REQUIRE(data.rows.size() == 2);
    CHECK(data.rows[0].labels == std::vector<std::string>{"b", "a"});
    CHECK(data.rows[0].text == "first line");
    CHECK(data.rows[0].line == 1);
    CHECK(data.rows[1].labels == std::vector<std::string>{"c"});
    CHECK(data.rows[1].line == 2);
  }
}

TEST_CASE("skip_bad_lines skips and counts") {
  TempDir dir;
  spit(dir / "x.tsv", "1\tgood\nbad\n,\tno label\n0\tfine\n");
  const TextDataset data = read_dataset(dir / "x.tsv", DataFormat::tsv, true);
  CHECK(data.rows.size() == 2);
  CHECK(data.skipped_lines == 2);
}

TEST_CASE("missing files and folders are errors") {
  TempDir dir;
  CHECK_THROWS_WITH(read_dataset(dir / "none.tsv", DataFormat::auto_detect, false), embtrain::test::contains("none.tsv"));
  CHECK_THROWS_WITH(read_dataset(dir.path.string(), DataFormat::tsv, false), embtrain::test::contains("directory"));
}

TEST_CASE("encode: one id buffer with offsets - OOV to <unk> or dropped") {
  TempDir dir;
  spit(dir / "t.tsv", "1\tI am happy\n0\tI am sad\n1\tnew words here\n");
  const TextDataset data = read_dataset(dir / "t.tsv", DataFormat::auto_detect, false);
  Tokenizer tokenizer({});
  const TokenCounts counts = count_tokens(data, tokenizer);
  CHECK(counts.seen.size() == 7);
  VocabConfig config;
  config.max_size = 4;
  const Vocab small = build_vocab(counts, config);  // I am happy sad
  const Corpus dropped = encode(data, tokenizer, small);
  CHECK(dropped.ids == std::vector<RowId>{0, 1, 2, 0, 1, 3});
  CHECK(dropped.offsets == std::vector<int64_t>{0, 3, 6, 6});
  CHECK(dropped.labels == std::vector<float>{1, 0, 1});
  CHECK(dropped.oov_dropped == 3);
  CHECK(dropped.length(2) == 0);

  config.specials = {"<unk>"};
  config.max_size = 5;
  const Vocab with_unk = build_vocab(counts, config);
  const Corpus mapped = encode(data, tokenizer, with_unk);
  CHECK(mapped.ids == std::vector<RowId>{1, 2, 3, 1, 2, 4, 0, 0, 0});
  CHECK(mapped.oov_to_unk == 3);
}
