// token_count.cpp — count_tokens over a file: blocks of whole lines on the pool, merged in order.
#include "embtrain/text/token_count.h"

#include <algorithm>
#include <fstream>
#include <limits>

#include "embtrain/text/error.h"
#include "embtrain/text/threads.h"

namespace embtrain {
namespace {

// One block of whole lines and what its thread made of it, in the block's own terms: ids index
// `counts.seen` (the block's first-seen table), lines count from 1 at the block's first line.
struct Block {
  std::string text;
  TokenCounts counts;
  std::vector<int32_t> ids;
  std::vector<int64_t> ends;  // [n] where each example's ids end
  std::vector<float> labels;  // [n]
  ExampleLabels examples;     // names in the block's first-seen order
  int64_t lines = 0, skipped = 0;
  int64_t bad_line = 0;  // the first bad line, when bad lines are errors (0: none)
  std::string bad_reason;

  void clear_results() {
    counts = TokenCounts{};
    ids.clear();
    ends.clear();
    labels.clear();
    examples = ExampleLabels{};
    lines = skipped = bad_line = 0;
    bad_reason.clear();
  }
};

// The next ~`bytes` of `in`, extended to the end of its last line; false at the end.
bool read_block(std::istream& in, size_t bytes, std::string& text) {
  text.resize(bytes);
  in.read(text.data(), static_cast<std::streamsize>(bytes));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.empty()) return false;
  if (text.back() != '\n' && in) {
    std::string rest;
    std::getline(in, rest);
    text += rest;
    if (!in.eof()) text += '\n';
  }
  return true;
}

// Where a block is, for errors: the file, and the line before the block's first (when known).
struct BlockPlace {
  const std::string& path;
  int64_t base = 0;

  Error too_many_tokens(int64_t line) const {
    return Error::runtime(path + ":" + std::to_string(base + line) + ": more than 2^31 distinct tokens");
  }
};

// Lines as std::getline splits them: on '\n', a last line without one included. `lenient`
// returns each bad line's reason; whether it is an error is decided here, so that the first
// bad line of the file (not of the block) is the one reported.
// `table`: the block's own (on a pool of threads), or the run's (on one thread, where the
// block's ids are then the run's and merge_block has no table to merge).
void count_block(Block& block, TokenCounts& table, const BlockPlace& where, const LineParser& lenient,
                 bool skip_bad_lines, Tokenizer& tokenizer) {
  const std::string& text = block.text;
  std::string line, bad;
  std::vector<std::string_view> tokens;
  LabeledText row;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    line.assign(text, at, end - at);
    at = end + 1;
    ++block.lines;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (LineParser::blank(line)) continue;
    if (!lenient.parse(line, block.lines, row, bad)) {
      if (skip_bad_lines) {
        ++block.skipped;
        continue;
      }
      block.bad_line = block.lines;
      block.bad_reason = bad;
      return;  // the rest of the block is never read: this error ends the run
    }
    tokenizer.split(row.text, tokens);
    for (const auto token : tokens) {
      const int64_t id = table.add(token);
      if (id > std::numeric_limits<RowId>::max() - 1) throw where.too_many_tokens(block.lines);  // the run's table only
      block.ids.push_back(static_cast<int32_t>(id));
    }
    block.ends.push_back(static_cast<int64_t>(block.ids.size()));
    block.labels.push_back(row.label);
    block.examples.add(row);
  }
}

// Appends `block` (whose first line is line `base` + 1 of the file) to the run's results.
// `own_table`: the block was counted into a table of its own, which joins the run's here.
void merge_block(const Block& block, const BlockPlace& where, bool own_table, const LineParser& lenient,
                 TokenCounts& counts, Corpus& first_seen, ExampleLabels& labels) {
  const int64_t base = where.base;
  if (block.bad_line > 0) throw lenient.error(base + block.bad_line, block.bad_reason);
  // The block's tokens join the run's table in the block's first-seen order.
  std::vector<int64_t> to_run(own_table ? static_cast<size_t>(block.counts.seen.size()) : 0);
  for (int64_t j = 0; j < static_cast<int64_t>(to_run.size()); ++j) {
    const int64_t id = counts.seen.add(block.counts.seen.token(j));
    if (id == static_cast<int64_t>(counts.counts.size())) counts.counts.push_back(0);
    counts.counts[static_cast<size_t>(id)] += block.counts.counts[static_cast<size_t>(j)];
    to_run[static_cast<size_t>(j)] = id;
  }
  std::vector<int32_t> to_label(block.examples.names.size());
  for (size_t n = 0; n < block.examples.names.size(); ++n) {
    const auto& name = block.examples.names[n];
    const auto found = std::find(labels.names.begin(), labels.names.end(), name);
    to_label[n] = static_cast<int32_t>(found - labels.names.begin());
    if (found == labels.names.end()) labels.names.push_back(name);
  }
  int64_t start = 0;
  for (size_t e = 0; e < block.ends.size(); ++e) {
    for (int64_t t = start; t < block.ends[e]; ++t) {
      const int32_t own = block.ids[static_cast<size_t>(t)];
      const int64_t id = own_table ? to_run[static_cast<size_t>(own)] : own;
      if (id > std::numeric_limits<RowId>::max() - 1) throw where.too_many_tokens(block.examples.lines[e]);
      first_seen.ids.push_back(static_cast<RowId>(id));
    }
    start = block.ends[e];
    first_seen.offsets.push_back(static_cast<int64_t>(first_seen.ids.size()));
    first_seen.labels.push_back(block.labels[e]);
    for (int64_t k = block.examples.offsets[e]; k < block.examples.offsets[e + 1]; ++k) {
      labels.ids.push_back(to_label[static_cast<size_t>(block.examples.ids[static_cast<size_t>(k)])]);
    }
    labels.offsets.push_back(static_cast<int64_t>(labels.ids.size()));
    labels.lines.push_back(base + block.examples.lines[e]);
  }
  labels.skipped_lines += block.skipped;
}

}  // namespace

TokenCounts count_tokens(const std::string& path, DataFormat format, bool skip_bad_lines, const std::string& what,
                         const Tokenizer& tokenizer, Corpus& first_seen, ExampleLabels& labels,
                         size_t block_bytes) {
  std::ifstream in = open_data(path, what);
  const LineParser lenient(path, resolve_format(path, format), /*skip_bad_lines=*/true);
  ThreadPool& pool = shared_pool();
  const auto threads = static_cast<size_t>(pool.size());
  std::vector<Block> blocks(threads);
  std::vector<Tokenizer> tokenizers(threads, tokenizer);
  TokenCounts counts;
  labels.path = path;
  int64_t base = 0, examples = 0;
  const bool own_tables = threads > 1;  // one thread counts into the run's table directly
  for (bool more = true; more;) {
    size_t n = 0;
    while (n < threads && read_block(in, std::max<size_t>(block_bytes, 1), blocks[n].text)) ++n;
    more = n == threads;
    if (n == 0) break;
    pool.run(static_cast<int64_t>(n), 1, [&](int64_t b0, int64_t b1) {
      for (auto b = static_cast<size_t>(b0); b < static_cast<size_t>(b1); ++b) {
        blocks[b].clear_results();
        count_block(blocks[b], own_tables ? blocks[b].counts : counts, BlockPlace{path, base}, lenient,
                    skip_bad_lines, tokenizers[b]);
      }
    });
    for (size_t b = 0; b < n; ++b) {
      merge_block(blocks[b], BlockPlace{path, base}, own_tables, lenient, counts, first_seen, labels);
      base += blocks[b].lines;
      examples += static_cast<int64_t>(blocks[b].ends.size());
    }
  }
  if (in.bad()) throw Error::runtime("error while reading data file '" + path + "'");
  check_examples(path, examples, labels.skipped_lines);
  return counts;
}

}  // namespace embtrain
