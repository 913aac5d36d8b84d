// dataset.cpp — TSV / JSONL / fastText readers and corpus encoding.
#include "embtrain/text/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/text/ngrams.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/text/utf8.h"
#include "embtrain/text/vocab.h"

namespace embtrain {
namespace {

// Thrown inside a reader for one bad line; read_dataset decides to skip or fail.
struct BadLine {
  std::string reason;
};

// A label as the data names it: not empty, no whitespace (fastText's format could not say it).
std::string label_name(std::string_view text) {
  if (text.empty()) throw BadLine{"empty label"};
  if (text.find_first_of(" \t") != std::string_view::npos) {
    throw BadLine{"label '" + std::string(text.substr(0, 40)) + "' contains whitespace"};
  }
  return std::string(text);
}

LabeledText with_labels(std::vector<std::string> labels, std::string text) {
  LabeledText row;
  row.label = labels.size() == 1 && labels[0] == "1" ? 1.0f : 0.0f;
  row.labels = std::move(labels);
  row.text = std::move(text);
  return row;
}

// `a,b<TAB>text`: one label or several, comma-separated.
LabeledText parse_tsv(const std::string& line) {
  const auto tab = line.find('\t');
  if (tab == std::string::npos) throw BadLine{"expected LABEL<TAB>TEXT, found no tab"};
  std::vector<std::string> labels;
  const std::string_view field = std::string_view(line).substr(0, tab);
  if (field.find(' ') != std::string_view::npos) {
    const std::string_view rest = std::string_view(line).substr(tab + 1);
    const bool swapped = !rest.empty() && rest.find_first_of(" \t") == std::string_view::npos;
    throw BadLine{"label '" + std::string(field.substr(0, 40)) + "' contains whitespace" +
                  (swapped ? ": TSV lines are LABEL<TAB>TEXT, and this one looks like TEXT<TAB>LABEL; swap "
                             "the columns (awk -F'\\t' -v OFS='\\t' '{print $2, $1}')"
                           : ": TSV lines are LABEL<TAB>TEXT")};
  }
  for (size_t start = 0;;) {
    const size_t comma = field.find(',', start);
    labels.push_back(label_name(field.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return with_labels(std::move(labels), line.substr(tab + 1));
}

// "label": 0 | 1 | "name", or "labels": ["a", "b"].
std::vector<std::string> jsonl_labels(const nlohmann::json& object) {
  const auto one = object.find("label");
  const auto many = object.find("labels");
  if (one != object.end() && many != object.end()) throw BadLine{"give \"label\" or \"labels\", not both"};
  if (one == object.end() && many == object.end()) throw BadLine{"missing field \"label\" (or \"labels\")"};
  auto name = [](const nlohmann::json& value) {
    if (value.is_number_integer() && (value.get<int64_t>() == 0 || value.get<int64_t>() == 1)) {
      return std::to_string(value.get<int64_t>());
    }
    if (!value.is_string()) throw BadLine{"a label must be 0, 1 or a string, got " + value.dump()};
    return label_name(value.get_ref<const std::string&>());
  };
  if (one != object.end()) return {name(*one)};
  if (!many->is_array() || many->empty()) throw BadLine{"\"labels\" must be a non-empty list, got " + many->dump()};
  std::vector<std::string> labels;
  for (const auto& value : *many) labels.push_back(name(value));
  return labels;
}

LabeledText parse_jsonl(const std::string& line) {
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for huge numbers
    throw BadLine{"invalid JSON: " + json_error_text(e)};
  }
  if (!object.is_object()) throw BadLine{"expected a JSON object with \"label\" and \"text\""};
  std::vector<std::string> labels = jsonl_labels(object);
  const auto text = object.find("text");
  if (text == object.end()) throw BadLine{"missing field \"text\""};
  if (!text->is_string()) throw BadLine{"\"text\" must be a string, got " + text->dump()};
  return with_labels(std::move(labels), text->get<std::string>());
}

// `__label__a __label__b text`: every leading __label__ word is a label.
LabeledText parse_fasttext(const std::string& line) {
  static const std::string kPrefix = "__label__";
  if (line.rfind(kPrefix, 0) != 0) {
    throw BadLine{std::string("expected __label__NAME first (e.g. __label__1), the fastText format that .txt "
                              "files are read as") +
                  (line.find('\t') != std::string::npos ? "; this line has a tab: for LABEL<TAB>TEXT lines set "
                                                          "data.format=tsv"
                                                        : "; set data.format to tsv or jsonl for those formats")};
  }
  std::vector<std::string> labels;
  size_t at = 0;
  for (;;) {
    const size_t end = std::min(line.find_first_of(" \t", at), line.size());
    labels.push_back(label_name(std::string_view(line).substr(at + kPrefix.size(), end - at - kPrefix.size())));
    const size_t next = line.find_first_not_of(" \t", end);
    if (next == std::string::npos || line.compare(next, kPrefix.size(), kPrefix) != 0) {
      // The text is everything after the one separator that follows the last label.
      return with_labels(std::move(labels), end < line.size() ? line.substr(end + 1) : std::string());
    }
    at = next;
  }
}

bool blank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n\v\f") == std::string::npos;
}

}  // namespace

DataFormat resolve_format(const std::string& path, DataFormat format) {
  if (format != DataFormat::auto_detect) return format;
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension == ".tsv") return DataFormat::tsv;
  if (extension == ".jsonl") return DataFormat::jsonl;
  if (extension == ".txt" || extension == ".ft") return DataFormat::fasttext;
  throw Error::usage("cannot tell the format of '" + path +
                     "' from its extension (.tsv, .jsonl, .txt, .ft); set data.format");
}

namespace {

using Parser = LabeledText (*)(const std::string&);

Parser parser_for(const std::string& path, DataFormat format) {
  switch (resolve_format(path, format)) {
    case DataFormat::tsv: return parse_tsv;
    case DataFormat::jsonl: return parse_jsonl;
    case DataFormat::fasttext: return parse_fasttext;
    case DataFormat::text:  // config validation leaves it to the word objectives
    case DataFormat::auto_detect: break;  // resolve_format never returns it
  }
  return parse_tsv;
}

// The examples of `in`, one at a time: blank lines skipped, bad ones skipped or an Error.
int64_t visit_examples(std::istream& in, const std::string& path, DataFormat format, bool skip_bad_lines,
                       const std::function<void(const LabeledText&)>& visit) {
  const LineParser parser(path, format, skip_bad_lines);
  int64_t skipped = 0, examples = 0;
  std::string line, bad;
  for (int64_t line_number = 1; std::getline(in, line); ++line_number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (blank(line)) continue;
    LabeledText row;
    if (!parser.parse(line, line_number, row, bad)) {
      ++skipped;
      continue;
    }
    visit(row);
    ++examples;
  }
  if (in.bad()) throw Error::runtime("error while reading data file '" + path + "'");
  check_examples(path, examples, skipped);
  return skipped;
}

}  // namespace

LineParser::LineParser(std::string path, DataFormat format, bool skip_bad_lines)
    : path_(std::move(path)), skip_bad_lines_(skip_bad_lines) {
  parse_ = parser_for(path_, format);
}

bool LineParser::blank(const std::string& line) { return embtrain::blank(line); }

bool LineParser::parse(const std::string& line, int64_t line_number, LabeledText& row, std::string& bad) const {
  try {
    size_t at = 0;
    if (line.find('\0') != std::string::npos) throw BadLine{"NUL byte in line"};
    if (!valid_utf8(line, &at)) throw BadLine{"invalid UTF-8 at byte " + std::to_string(at + 1)};
    row = parse_(line);
    row.line = line_number;
    if (embtrain::blank(row.text)) throw BadLine{"line has a label but no text"};
    return true;
  } catch (const BadLine& b) {
    bad = b.reason;
    if (!skip_bad_lines_) throw error(line_number, bad);
    return false;
  }
}

Error LineParser::error(int64_t line_number, const std::string& reason) const {
  return Error::runtime(path_ + ":" + std::to_string(line_number) + ": " + reason +
                        " (data.skip_bad_lines=true skips such lines)");
}

void check_examples(const std::string& path, int64_t examples, int64_t skipped) {
  if (examples > 0) return;
  throw Error::runtime("data file '" + path + "' has no examples" +
                       (skipped ? " (" + std::to_string(skipped) + " bad lines skipped)" : std::string()));
}

std::ifstream open_data(const std::string& path, const std::string& what) {
  // Readable first: a folder or a missing file says so before its extension is looked at.
  if (const std::string reason = unreadable_reason(path); !reason.empty()) {
    throw Error::runtime("cannot read " + what + " '" + path + "': " + reason);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error::runtime("cannot read " + what + " '" + path + "'");
  return in;
}

TextDataset read_dataset(const std::string& path, DataFormat format, bool skip_bad_lines,
                         const std::string& what) {
  std::ifstream in = open_data(path, what);
  return read_dataset(in, path, resolve_format(path, format), skip_bad_lines);
}

TextDataset read_dataset(std::istream& in, const std::string& path, DataFormat format,
                         bool skip_bad_lines) {
  TextDataset data;
  data.path = path;
  data.skipped_lines = visit_examples(in, path, format, skip_bad_lines,
                                      [&](const LabeledText& row) { data.rows.push_back(row); });
  return data;
}

int64_t for_each_example(const std::string& path, DataFormat format, bool skip_bad_lines, const std::string& what,
                         const std::function<void(const LabeledText&)>& visit) {
  std::ifstream in = open_data(path, what);
  return visit_examples(in, path, resolve_format(path, format), skip_bad_lines, visit);
}

void ExampleLabels::add(const LabeledText& row) {
  for (const auto& name : row.labels) {
    // Few distinct labels: a linear search over them beats hashing each one.
    const auto index = static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
    if (index == names.size()) names.push_back(name);
    ids.push_back(static_cast<int32_t>(index));
  }
  offsets.push_back(static_cast<int64_t>(ids.size()));
  lines.push_back(row.line);
}

ExampleLabels ExampleLabels::of(const TextDataset& data) {
  ExampleLabels out;
  out.path = data.path;
  for (const auto& row : data.rows) out.add(row);
  return out;
}

TokenCounts count_tokens(const TextDataset& data, Tokenizer& tokenizer, Corpus* first_seen) {
  TokenCounts counts;
  std::vector<std::string_view> tokens;
  for (const auto& row : data.rows) {
    tokenizer.split(row.text, tokens);
    for (const auto token : tokens) {
      const int64_t id = counts.add(token);
      if (first_seen) first_seen->ids.push_back(static_cast<RowId>(id));
    }
    if (first_seen) {
      first_seen->offsets.push_back(static_cast<int64_t>(first_seen->ids.size()));
      first_seen->labels.push_back(row.label);
    }
  }
  return counts;
}

namespace {

// Each seen token's fasttext_hash and subword rows, computed once per distinct token.
struct SeenNgrams {
  std::vector<uint32_t> hash;           // [S]
  std::vector<int64_t> offsets{0};      // [S + 1] into rows
  std::vector<int32_t> rows;            // subword rows of every seen token, back to back
};

SeenNgrams seen_ngrams(const TokenCounts& counts, const Ngrams& ngrams, BucketNames* names) {
  SeenNgrams out;
  std::vector<std::string> texts;
  for (int64_t seen = 0; seen < counts.seen.size(); ++seen) {
    const std::string& token = counts.seen.token(seen);
    out.hash.push_back(fasttext_hash(token));
    const size_t first = out.rows.size();
    texts.clear();
    ngrams.add_subwords(token, out.rows, names ? &texts : nullptr);
    out.offsets.push_back(static_cast<int64_t>(out.rows.size()));
    for (size_t k = 0; names && k < texts.size(); ++k) {
      names->add(out.rows[first + k], texts[k], counts.counts[static_cast<size_t>(seen)]);
    }
  }
  return out;
}

}  // namespace

namespace {

constexpr int64_t kDrop = -1;

// Each seen token's row in `vocab`: its own, <unk>'s, or kDrop (no <unk>).
std::vector<int64_t> seen_rows(const TokenCounts& counts, const Vocab& vocab) {
  std::vector<int64_t> table(counts.counts.size());
  for (size_t seen = 0; seen < table.size(); ++seen) {
    table[seen] = vocab.encode_token(counts.seen.token(static_cast<int64_t>(seen)));  // or kDrop
  }
  return table;
}

}  // namespace

Corpus remap(Corpus&& first_seen, const TokenCounts& counts, const Vocab& vocab, const Ngrams* ngrams,
             BucketNames* names) {
  if (ngrams) return remap(static_cast<const Corpus&>(first_seen), counts, vocab, ngrams, names);
  const int64_t unk = vocab.unk_id();
  const std::vector<int64_t> table = seen_rows(counts, vocab);
  Corpus corpus = std::move(first_seen);
  int32_t* ids = corpus.ids.mutable_data();
  size_t at = 0;     // where the next row goes: never past where its first-seen id is read
  size_t begin = 0;  // sentence i's first-seen ids start here
  for (size_t i = 0; i + 1 < corpus.offsets.size(); ++i) {
    const auto end = static_cast<size_t>(corpus.offsets[i + 1]);
    corpus.text_tokens += static_cast<int64_t>(end - begin);
    for (size_t t = begin; t < end; ++t) {
      const auto seen = static_cast<size_t>(ids[t]);
      const int64_t id = table[seen];
      if (id == kDrop) {
        ++corpus.oov_dropped;
        continue;
      }
      corpus.oov_to_unk += id == unk && vocab.token(unk) != counts.seen.token(static_cast<int64_t>(seen));
      ids[at++] = static_cast<RowId>(id);
    }
    corpus.offsets[i + 1] = static_cast<int64_t>(at);
    begin = end;
  }
  corpus.ids.resize(at);
  return corpus;
}

Corpus remap(const Corpus& first_seen, const TokenCounts& counts, const Vocab& vocab,
             const Ngrams* ngrams, BucketNames* names) {
  const int64_t unk = vocab.unk_id();
  const std::vector<int64_t> table = seen_rows(counts, vocab);
  const SeenNgrams hashed = ngrams ? seen_ngrams(counts, *ngrams, names) : SeenNgrams{};
  std::vector<uint32_t> hashes;
  std::vector<std::string_view> tokens;
  std::vector<std::string> texts;
  std::vector<int32_t> scratch;  // one sentence's n-gram rows
  Corpus corpus;
  corpus.labels = first_seen.labels;
  corpus.ids.reserve(first_seen.ids.size());
  corpus.offsets.reserve(first_seen.offsets.size());
  for (int64_t i = 0; i < first_seen.size(); ++i) {
    const int64_t begin = first_seen.offsets[static_cast<size_t>(i)];
    const int64_t end = first_seen.offsets[static_cast<size_t>(i) + 1];
    corpus.text_tokens += end - begin;
    for (int64_t t = begin; t < end; ++t) {
      const int64_t seen = first_seen.ids[static_cast<size_t>(t)];
      const int64_t id = table[static_cast<size_t>(seen)];
      if (id == kDrop) {
        ++corpus.oov_dropped;
        continue;
      }
      corpus.oov_to_unk += id == unk && vocab.token(unk) != counts.seen.token(seen);
      corpus.ids.push_back(static_cast<RowId>(id));
    }
    if (ngrams) {
      hashes.clear();
      tokens.clear();
      for (int64_t t = begin; t < end; ++t) {
        const auto seen = static_cast<size_t>(first_seen.ids[static_cast<size_t>(t)]);
        corpus.ids.append(hashed.rows.data() + hashed.offsets[seen], hashed.rows.data() + hashed.offsets[seen + 1]);
        hashes.push_back(hashed.hash[seen]);
        if (names) tokens.push_back(counts.seen.token(static_cast<int64_t>(seen)));
      }
      const size_t first = corpus.ids.size();
      texts.clear();
      scratch.clear();
      ngrams->add_word_ngrams(hashes, scratch, names ? &tokens : nullptr, names ? &texts : nullptr);
      corpus.ids.append(scratch.data(), scratch.data() + scratch.size());
      for (size_t k = 0; names && k < texts.size(); ++k) names->add(corpus.ids[first + k], texts[k], 1);
    }
    corpus.offsets.push_back(static_cast<int64_t>(corpus.ids.size()));
  }
  return corpus;
}

Corpus encode(const TextDataset& data, Tokenizer& tokenizer, const Vocab& vocab, const Ngrams* ngrams) {
  Corpus corpus;
  corpus.labels.reserve(data.rows.size());
  corpus.offsets.reserve(data.rows.size() + 1);
  const int64_t unk = vocab.unk_id();
  std::vector<std::string_view> tokens;
  std::vector<uint32_t> hashes;
  std::vector<int32_t> scratch;  // one sentence's n-gram rows
  std::vector<char> unknown;     // [tokens] 1 where the vocabulary lacks the token
  for (const auto& row : data.rows) {
    tokenizer.split(row.text, tokens);
    corpus.text_tokens += static_cast<int64_t>(tokens.size());
    unknown.assign(tokens.size(), 0);
    for (size_t t = 0; t < tokens.size(); ++t) {
      const int64_t id = vocab.encode_token(tokens[t]);
      if (id < 0) {
        ++corpus.oov_dropped;
        unknown[t] = 1;
        continue;
      }
      const bool to_unk = id == unk && tokens[t] != vocab.token(unk);
      corpus.oov_to_unk += to_unk;
      unknown[t] = to_unk;
      corpus.ids.push_back(static_cast<RowId>(id));
    }
    if (ngrams) {
      hashes.clear();
      scratch.clear();
      for (size_t t = 0; t < tokens.size(); ++t) {
        const size_t before = scratch.size();
        ngrams->add_subwords(tokens[t], scratch);
        corpus.oov_with_subwords += unknown[t] && scratch.size() > before;
        hashes.push_back(fasttext_hash(tokens[t]));
      }
      ngrams->add_word_ngrams(hashes, scratch);
      corpus.ids.append(scratch.data(), scratch.data() + scratch.size());
    }
    corpus.offsets.push_back(static_cast<int64_t>(corpus.ids.size()));
    corpus.labels.push_back(row.label);
  }
  return corpus;
}

}  // namespace embtrain
