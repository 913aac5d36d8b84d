// vectors.cpp — .vec reading, .vec and word2vec-binary writing.
#include "embtrain/text/vectors.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "embtrain/text/error.h"
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

}  // namespace

std::string printable_token(const std::string& token, bool* changed) {
  std::string out;
  out.reserve(token.size());
  bool replaced = false;
  for (const char c : token) {
    if (is_whitespace(static_cast<unsigned char>(c))) {
      out += "\u2581";
      replaced = true;
    } else {
      out += c;
    }
  }
  if (changed) *changed = replaced;
  return out;
}

WordVectors read_vec(const std::string& path) {
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
    if (!valid_utf8(line)) throw Error::runtime(where + ": invalid UTF-8");
    const auto parts = split_spaces(line);
    if (static_cast<int64_t>(parts.size()) != dim + 1) {
      throw Error::runtime(where + ": expected a token and " + std::to_string(dim) + " values, got " +
                           std::to_string(static_cast<int64_t>(parts.size()) - 1) + " values");
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
    const int64_t id = vectors.vocab.add(parts[0]);
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
