// vectors.h — word vectors in the formats other tools read (no torch).
//
//   .vec (word2vec/fastText text): "<count> <dim>\n" then "token v1 ... vD\n" per token;
//        gensim's KeyedVectors.load_word2vec_format and fastText's -pretrainedVectors read it.
//   word2vec binary: "<count> <dim>\n" then per token "token " + D little-endian float32 + "\n".
// Tokens that contain whitespace cannot be written as is in either format: whitespace and the
// backslash are written as C-style escapes (space \s, tab \t, newline \n, \r, \v, \f, and \\ for
// a backslash), which is injective, and read_vec undoes them. Other tools (gensim) show the
// escaped form.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "embtrain/text/matrix.h"
#include "embtrain/text/vocab.h"

namespace embtrain {

struct WordVectors {
  Vocab vocab;
  int64_t dim = 0;
  std::vector<float> values;  // [vocab.size(), dim] row-major
};

// Reads a .vec file; errors name the file and line (bad header, wrong number of
// values, a value that is not a number, duplicate tokens, fewer rows than the header says).
WordVectors read_vec(const std::string& path);
WordVectors read_vec(std::istream& in, const std::string& name);

// `rows` names the matrix rows: rows[i] is the token of m.row(i).
// *replaced (optional) counts tokens whose whitespace was replaced.
std::string format_vec(const Vocab& vocab, const Matrix& m, int64_t* replaced = nullptr);
std::string format_word2vec_bin(const Vocab& vocab, const Matrix& m, int64_t* replaced = nullptr);

// The token as the text formats can carry it (the escapes above); *changed when any was needed.
std::string printable_token(const std::string& token, bool* changed = nullptr);
// printable_token undone. A backslash not followed by one of the escapes is kept as written.
std::string token_from_printable(std::string_view text);

}  // namespace embtrain
