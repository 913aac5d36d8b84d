// vectors.cpp — .vec reading, .vec and word2vec-binary writing.
#include "embtrain/text/vectors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/text/utf8.h"

namespace embtrain {
namespace {

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> parts;
  split_whitespace(line, parts);
  return parts;
}

bool parse_int(std::string_view text, int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  out = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// The escape of each character that a text format cannot carry in a token, and of the escape
// character itself, which keeps the mapping injective (one token, one written form, and back).
const char* escape_of(char c) {
  switch (c) {
    case '\\': return "\\\\";
    case ' ': return "\\s";
    case '\t': return "\\t";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\v': return "\\v";
    case '\f': return "\\f";
    default: return nullptr;
  }
}

}  // namespace

std::string printable_token(const std::string& token, bool* changed) {
  std::string out;
  out.reserve(token.size());
  bool escaped = false;
  for (const char c : token) {
    if (const char* escape = escape_of(c)) {
      out += escape;
      escaped = true;
    } else {
      out += c;
    }
  }
  if (changed) *changed = escaped;
  return out;
}

std::string token_from_printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char next = text[i + 1];
    const char plain = next == '\\' ? '\\' : next == 's' ? ' ' : next == 't' ? '\t'
                     : next == 'n' ? '\n' : next == 'r' ? '\r' : next == 'v' ? '\v'
                     : next == 'f' ? '\f' : '\0';
    if (plain == '\0') {
      out += text[i];  // not one of ours (a file from another tool): kept as written
      continue;
    }
    out += plain;
    ++i;
  }
  return out;
}


WordVectors read_vec(const std::string& path) {
  if (const std::string reason = unreadable_reason(path); !reason.empty()) {
    throw Error::runtime("cannot read vectors file '" + path + "': " + reason);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error::runtime("cannot read vectors file '" + path + "'");
  return read_vec(in, path);
}

WordVectors read_vec(std::istream& in, const std::string& path) {
  std::string line;
  if (!std::getline(in, line)) throw Error::runtime(path + ":1: empty vectors file (expected '<count> <dim>')");
  const auto header = split_spaces(line);
  int64_t count = 0, dim = 0;
  if (header.size() != 2 || !parse_int(header[0], count) || !parse_int(header[1], dim) || dim < 1) {
    throw Error::runtime(path + ":1: expected a header '<count> <dim>', got '" + line.substr(0, 60) + "'");
  }
  constexpr int64_t kMaxDim = 1 << 20;
  if (dim > kMaxDim) throw Error::runtime(path + ":1: dimension " + std::to_string(dim) + " is too large");
  WordVectors vectors;
  vectors.dim = dim;
  int64_t line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    const std::string where = path + ":" + std::to_string(line_number);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    // word2vec's binary format has the same text header, then "token " and raw float32 bytes.
    const bool raw_bytes = !valid_utf8(line) || std::any_of(line.begin(), line.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 && c != '\t';
    });
    const std::string binary_hint =
        raw_bytes ? "; the values look like raw bytes, as in word2vec's binary format: only the text .vec "
                    "format is read; convert it first, e.g. in Python with gensim: KeyedVectors."
                    "load_word2vec_format(PATH, binary=True).save_word2vec_format(\"out.vec\")"
                  : "";
    if (!valid_utf8(line)) throw Error::runtime(where + ": invalid UTF-8" + binary_hint);
    const auto parts = split_spaces(line);
    if (static_cast<int64_t>(parts.size()) != dim + 1) {
      throw Error::runtime(where + ": expected a token and " + std::to_string(dim) + " values, got " +
                           std::to_string(static_cast<int64_t>(parts.size()) - 1) + " values" + binary_hint);
    }
    for (int64_t d = 1; d <= dim; ++d) {
      const std::string number(parts[static_cast<size_t>(d)]);
      char* end = nullptr;
      const float value = std::strtof(number.c_str(), &end);
      if (end != number.c_str() + number.size() || !std::isfinite(value)) {
        throw Error::runtime(where + ": value " + std::to_string(d) + " is not a finite number: '" + number + "'");
      }
      vectors.values.push_back(value);
    }
    const int64_t id = vectors.vocab.add(token_from_printable(parts[0]));
    if (id != vectors.vocab.size() - 1 || vectors.vocab.size() * dim != static_cast<int64_t>(vectors.values.size())) {
      throw Error::runtime(where + ": duplicate token '" + std::string(parts[0]) + "'");
    }
  }
  if (vectors.vocab.size() != count) {
    throw Error::runtime(path + ": the header says " + std::to_string(count) + " vectors, the file has " +
                         std::to_string(vectors.vocab.size()));
  }
  return vectors;
}

std::string format_vec(const Vocab& vocab, const Matrix& m, int64_t* replaced) {
  std::string out = std::to_string(m.rows) + " " + std::to_string(m.dim) + "\n";
  char number[32];
  for (int64_t r = 0; r < m.rows; ++r) {
    bool changed = false;
    out += printable_token(vocab.token(r), &changed);
    if (replaced) *replaced += changed;
    for (int64_t d = 0; d < m.dim; ++d) {
      // %.9g round-trips every float32.
      std::snprintf(number, sizeof number, " %.9g", static_cast<double>(m.row(r)[d]));
      out += number;
    }
    out += '\n';
  }
  return out;
}

std::string format_word2vec_bin(const Vocab& vocab, const Matrix& m, int64_t* replaced) {
  std::string out = std::to_string(m.rows) + " " + std::to_string(m.dim) + "\n";
  for (int64_t r = 0; r < m.rows; ++r) {
    bool changed = false;
    out += printable_token(vocab.token(r), &changed);
    if (replaced) *replaced += changed;
    out += ' ';
    // x86-64 and aarch64 are little-endian, as the format expects.
    out.append(reinterpret_cast<const char*>(m.row(r)), static_cast<size_t>(m.dim) * sizeof(float));
    out += '\n';
  }
  return out;
}

}  // namespace embtrain
