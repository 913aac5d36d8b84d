// dataset.h — labelled text files in, encoded corpora out.
//
// Readers turn TSV (`a,b<TAB>text`), JSONL ({"label": 0|1|"a", "text": "..."} or
// {"labels": ["a", "b"], ...}) and fastText (`__label__a __label__b text`) files into rows of
// (label names, text); errors name the file and line. Which labels are allowed is the label
// set's business (labels.h), decided from the training data. A Corpus is the encoded form the
// trainer slices batches from without per-example allocation:
//   ids     [total tokens]  int64, every sentence's ids back to back
//   offsets [N + 1]         int64, sentence i is ids[offsets[i] .. offsets[i+1])
//   labels  [N]             float, 0 or 1 (binary runs; 0 in multi-label runs)
//   label_offsets [N + 1], label_ids [..]  multi-label runs: example i's labels (output indices)
#pragma once

#include <cstdint>
#include <iosfwd>
#include <functional>
#include <string>
#include <vector>

#include "embtrain/text/config.h"
#include "embtrain/text/error.h"
#include "embtrain/text/row_ids.h"

namespace embtrain {

class BucketNames;
class Ngrams;
class Tokenizer;
class Vocab;
struct TokenCounts;

struct LabeledText {
  float label = 0;                  // binary runs: 1 when the line's label is "1"
  std::string text;
  std::vector<std::string> labels;  // the label names the line gives, in its order
  int64_t line = 0;                 // 1-based line in its file, for errors
};

struct TextDataset {
  std::string path;
  std::vector<LabeledText> rows;
  int64_t skipped_lines = 0;  // malformed lines skipped under data.skip_bad_lines
};

// Each example's labels and line without its text: what labels.h reads, kept while a large
// training file streams through the tokenizer (~20 bytes per example, not the text).
struct ExampleLabels {
  std::string path;
  std::vector<std::string> names;   // the distinct labels, in first-seen order
  std::vector<int32_t> ids;         // each example's labels as indices into names, back to back
  std::vector<int64_t> offsets{0};  // [N + 1] into ids
  std::vector<int64_t> lines;       // [N] 1-based line of each example, for errors
  int64_t skipped_lines = 0;        // malformed lines skipped under data.skip_bad_lines

  void add(const LabeledText& row);
  int64_t size() const { return static_cast<int64_t>(lines.size()); }
  static ExampleLabels of(const TextDataset& data);
};

// auto_detect picks by extension: .tsv, .jsonl, .txt/.ft (fastText); an unknown extension is
// an Error::usage that says to set data.format. Never returns auto_detect.
DataFormat resolve_format(const std::string& path, DataFormat format);

// `what` names the key or option that gave the path in errors ("data.train", "--data").
TextDataset read_dataset(const std::string& path, DataFormat format, bool skip_bad_lines,
                         const std::string& what = "data file");

// The same from a stream; `name` stands for the file in errors, `format` is resolved (not
// auto_detect).
TextDataset read_dataset(std::istream& in, const std::string& name, DataFormat format,
                         bool skip_bad_lines);

// The file `path` opened for reading (binary), after the checks that name `what` (the key or
// option that gave it) and the OS reason: an Error otherwise.
std::ifstream open_data(const std::string& path, const std::string& what);

// One line of a data file as every reader takes it: the one owner of what makes a line bad
// (a NUL byte, invalid UTF-8, the format's own rules, a label without text) and of the error
// that names path:line. Stateless once made: threads may share one.
class LineParser {
 public:
  // `format` resolved (not auto_detect).
  LineParser(std::string path, DataFormat format, bool skip_bad_lines);
  // True for a line with nothing but whitespace (skipped, not an example). `line` has no '\n'
  // and no trailing '\r'.
  static bool blank(const std::string& line);
  // The example on a non-blank `line` into `row`: true, or false with the reason in `bad` when
  // data.skip_bad_lines skips it; the Error otherwise.
  bool parse(const std::string& line, int64_t line_number, LabeledText& row, std::string& bad) const;
  // The Error for a bad line (what parse throws without skip_bad_lines).
  Error error(int64_t line_number, const std::string& reason) const;
  bool skips_bad_lines() const { return skip_bad_lines_; }

 private:
  std::string path_;
  bool skip_bad_lines_;
  LabeledText (*parse_)(const std::string&) = nullptr;
};

// The Error of a data file without a single example (`skipped` bad lines skipped).
void check_examples(const std::string& path, int64_t examples, int64_t skipped);

// Streams the examples of `path` to `visit` in file order, keeping none (the checks and errors
// of read_dataset); returns the number of bad lines skipped.
int64_t for_each_example(const std::string& path, DataFormat format, bool skip_bad_lines, const std::string& what,
                         const std::function<void(const LabeledText&)>& visit);

// A row of the embedding table as a corpus stores it: 4 bytes per token (rows < 2^31).
using RowId = int32_t;

struct Corpus {
  RowIds ids;  // [T] every sentence's rows back to back (offsets index it); row_ids.h
  std::vector<int64_t> offsets{0};
  std::vector<float> labels;
  std::vector<int64_t> label_offsets{0};  // multi-label runs only: [N + 1] into label_ids
  std::vector<int32_t> label_ids;         // each example's labels, as output indices
  int64_t oov_to_unk = 0;   // out-of-vocabulary tokens mapped to <unk>
  int64_t oov_dropped = 0;  // out-of-vocabulary tokens dropped (no <unk> in the vocabulary)
  int64_t text_tokens = 0;  // the text's tokens, known or not (ids also hold any n-gram rows)
  int64_t oov_with_subwords = 0;  // of the out-of-vocabulary tokens, those with subword rows

  // The share of the text's tokens that have no row at all: the vocabulary lacks them and
  // (with vocab.subwords) they have no character n-gram either.
  double unknown_share() const {
    return text_tokens ? static_cast<double>(oov_to_unk + oov_dropped - oov_with_subwords) / static_cast<double>(text_tokens)
                       : 0.0;
  }

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  // True when the examples' labels are in label_offsets/label_ids (a multi-label run).
  bool multi_label() const { return !labels.empty() && label_offsets.size() == labels.size() + 1; }
  int64_t length(int64_t i) const {
    return offsets[static_cast<size_t>(i) + 1] - offsets[static_cast<size_t>(i)];
  }
};

// The training text's tokens in first-seen order with their counts. With
// `first_seen`, also the text encoded against that table (ids index counts.seen),
// so that remap() can encode it into the final vocabulary without tokenising again.
TokenCounts count_tokens(const TextDataset& data, Tokenizer& tokenizer, Corpus* first_seen = nullptr);

// The same while the file streams by (the text is never held): text/token_count.h.

// A corpus from count_tokens(..., &first_seen) re-encoded into `vocab`; the same
// result as encode() on the text, in O(tokens) without hashing. With `ngrams`, each
// sentence's word ids are followed by its hashed rows (ngrams.h); `names` then collects
// which n-grams of the data hit each bucket row.
Corpus remap(const Corpus& first_seen, const TokenCounts& counts, const Vocab& vocab,
             const Ngrams* ngrams = nullptr, BucketNames* names = nullptr);
// The same, reusing first_seen's buffers when there are no n-grams (each token's row is written
// where its first-seen id was): one 4-byte id per token alive at a time, not two.
Corpus remap(Corpus&& first_seen, const TokenCounts& counts, const Vocab& vocab,
             const Ngrams* ngrams = nullptr, BucketNames* names = nullptr);

Corpus encode(const TextDataset& data, Tokenizer& tokenizer, const Vocab& vocab,
              const Ngrams* ngrams = nullptr);

}  // namespace embtrain
