// test_token_count.cpp — count_tokens over a file on the pool equals one thread reading it in
// order: the same first-seen tokens and counts, ids, offsets, labels and lines on 1, 2 and 3
// threads with blocks of a few lines; the first bad line of the file is the one named.
#include "../catch.h"

#include <string>

#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"
#include "embtrain/text/threads.h"
#include "embtrain/text/token_count.h"
#include "embtrain/text/tokenizer.h"
#include "../helpers.h"

using namespace embtrain;
using embtrain::test::spit;
using embtrain::test::TempDir;

namespace {

struct Counted {
  TokenCounts counts;
  Corpus first_seen;
  ExampleLabels labels;
};

Counted count(const std::string& path, bool skip, size_t block_bytes) {
  Counted out;
  Tokenizer tokenizer(TokenizerOptions{});
  out.counts = count_tokens(path, DataFormat::auto_detect, skip, "data.train", tokenizer, out.first_seen, out.labels,
                            block_bytes);
  return out;
}

// What a serial read gives: read_dataset, then the in-memory count_tokens.
Counted serial(const std::string& path, bool skip) {
  Counted out;
  Tokenizer tokenizer(TokenizerOptions{});
  const TextDataset data = read_dataset(path, DataFormat::auto_detect, skip);
  out.counts = count_tokens(data, tokenizer, &out.first_seen);
  out.labels = ExampleLabels::of(data);
  return out;
}

void check_same(const Counted& a, const Counted& b) {
  REQUIRE(a.counts.seen.size() == b.counts.seen.size());
  for (int64_t i = 0; i < a.counts.seen.size(); ++i) CHECK(a.counts.seen.token(i) == b.counts.seen.token(i));
  CHECK(a.counts.counts == b.counts.counts);
  CHECK(std::equal(a.first_seen.ids.begin(), a.first_seen.ids.end(), b.first_seen.ids.begin(), b.first_seen.ids.end()));
  CHECK(a.first_seen.offsets == b.first_seen.offsets);
  CHECK(a.first_seen.labels == b.first_seen.labels);
  CHECK(a.labels.names == b.labels.names);
  CHECK(a.labels.ids == b.labels.ids);
  CHECK(a.labels.offsets == b.labels.offsets);
  CHECK(a.labels.lines == b.labels.lines);
}

// 300 lines of a fastText file: labels first seen late, blank and CRLF lines, one line
// without its newline at the end; `bad` lines (1-based) replaced by lines without a label.
std::string sample(const std::vector<int>& bad = {}) {
  std::string text;
  const char* words[] = {"the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far", "zebra"};
  for (int i = 1; i <= 300; ++i) {
    if (std::find(bad.begin(), bad.end(), i) != bad.end()) {
      text += "no label here\n";
      continue;
    }
    if (i % 17 == 0) {
      text += "\n";
      continue;
    }
    text += "__label__" + std::string(i < 150 ? "a" : i % 2 ? "b" : "c") + " ";
    for (int k = 0; k < 1 + i % 5; ++k) text += std::string(words[(i * 7 + k * 3) % 10]) + (k % 2 ? "" : std::to_string(i % 11)) + " ";
    text += i % 9 == 0 ? "\r\n" : "\n";
  }
  return text + "__label__a last line without a newline";
}

}  // namespace

TEST_CASE("count_tokens on 1, 2 and 3 threads equals a serial read, whatever the block size") {
  TempDir dir;
  spit(dir / "train.txt", sample());
  const Counted expected = serial(dir / "train.txt", false);
  CHECK(expected.first_seen.size() == 300 - 300 / 17 + 1);  // blank lines are not examples
  CHECK(expected.labels.names == std::vector<std::string>{"a", "c", "b"});  // line 150 is even: c
  for (const int64_t threads : {1, 2, 3}) {
    set_shared_threads(threads);
    for (const size_t block : {size_t{1}, size_t{64}, size_t{1000}, size_t{1} << 20}) {
      INFO("threads " << threads << ", blocks of " << block << " bytes");
      check_same(count(dir / "train.txt", false, block), expected);
    }
  }
  set_shared_threads(1);
}

TEST_CASE("count_tokens names the file's first bad line, and skips bad lines when asked") {
  TempDir dir;
  spit(dir / "train.txt", sample({40, 250}));
  set_shared_threads(3);
  for (const size_t block : {size_t{64}, size_t{1} << 20}) {
    try {
      count(dir / "train.txt", false, block);
      FAIL("a bad line was accepted");
    } catch (const Error& e) {
      CHECK_THAT(std::string(e.what()), embtrain::test::contains("train.txt:40: expected __label__NAME first"));
    }
    const Counted skipped = count(dir / "train.txt", true, block);
    CHECK(skipped.labels.skipped_lines == 2);
    check_same(skipped, serial(dir / "train.txt", true));
  }
  set_shared_threads(1);
}
