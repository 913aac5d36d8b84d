// word_eval.cpp — similarity and analogy scores with gensim's semantics (word_eval.h).
#include "embtrain/text/word_eval.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>
#include <unordered_map>

#include "embtrain/text/error.h"

namespace embtrain {
namespace {

std::string folded(std::string word) {
  for (char& c : word) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return word;
}

// The first `restrict` rows, unit length ([N, D], double), and each folded word's first row.
struct EvalTable {
  int64_t rows = 0, dim = 0;
  std::vector<double> unit;  // [rows, dim]; a zero row stays zero
  std::vector<std::string> words;
  std::unordered_map<std::string, int64_t> index;

  const double* row(int64_t r) const { return unit.data() + r * dim; }
  int64_t find(const std::string& word) const {
    const auto it = index.find(word);
    return it == index.end() ? -1 : it->second;
  }
};

EvalTable eval_table(const WordVectors& vectors, int64_t restrict) {
  EvalTable t;
  t.rows = std::min<int64_t>(vectors.vocab.size(), restrict);
  t.dim = vectors.dim;
  t.unit.resize(static_cast<size_t>(t.rows * t.dim));
  for (int64_t r = 0; r < t.rows; ++r) {
    const float* v = vectors.values.data() + r * t.dim;
    double norm = 0;
    for (int64_t d = 0; d < t.dim; ++d) norm += static_cast<double>(v[d]) * v[d];
    norm = std::sqrt(norm);
    for (int64_t d = 0; d < t.dim; ++d) t.unit[static_cast<size_t>(r * t.dim + d)] = norm > 0 ? v[d] / norm : 0.0;
    t.words.push_back(folded(vectors.vocab.token(r)));
    t.index.emplace(t.words.back(), r);  // the first row of a folded word stays
  }
  return t;
}

double dot(const double* a, const double* b, int64_t dim) {
  double sum = 0;
  for (int64_t d = 0; d < dim; ++d) sum += a[d] * b[d];
  return sum;
}

std::ifstream open_eval_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error::usage("cannot read " + path + ": no such file or not readable");
  return in;
}

bool skipped_line(const std::string& line) {
  return line.find_first_not_of(" \t\r\n") == std::string::npos || line[0] == '#';
}

std::vector<double> average_ranks(const std::vector<double>& x) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> ranks(x.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

}  // namespace

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0.0;
  const double mx = std::accumulate(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n), 0.0) / static_cast<double>(n);
  const double my = std::accumulate(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(n), 0.0) / static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  return pearson(average_ranks(x), average_ranks(y));
}

SimilarityScore score_similarity(const WordVectors& vectors, const std::string& pairs_path, int64_t restrict) {
  const EvalTable table = eval_table(vectors, restrict);
  std::ifstream in = open_eval_file(pairs_path);
  std::vector<double> human, model;
  SimilarityScore score;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (skipped_line(line)) continue;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> fields;
    std::stringstream split(line);
    for (std::string field; std::getline(split, field, '\t');) fields.push_back(field);
    char* end = nullptr;
    const double value = fields.size() == 3 ? std::strtod(fields[2].c_str(), &end) : 0.0;
    if (fields.size() != 3 || end == fields[2].c_str() || !std::isfinite(value)) {
      throw Error::usage(pairs_path + ":" + std::to_string(number) + ": not a pair 'word1<TAB>word2<TAB>score': '" +
                         line.substr(0, 80) + "' (comment lines start with '#')");
    }
    const int64_t a = table.find(folded(fields[0])), b = table.find(folded(fields[1]));
    if (a < 0 || b < 0) {
      ++score.oov;
      continue;
    }
    human.push_back(value);
    model.push_back(dot(table.row(a), table.row(b), table.dim));
  }
  score.pairs = static_cast<int64_t>(human.size());
  if (score.pairs == 0) {
    throw Error::usage("no pair of " + pairs_path + " can be scored: " + std::to_string(score.oov) +
                       " pairs have a word outside the first " + std::to_string(table.rows) + " rows of the vectors");
  }
  score.spearman = spearman(human, model);
  score.pearson = pearson(human, model);
  return score;
}

namespace {

// 3CosAdd's answer to a:b :: c:?, as gensim's most_similar(positive=[b, c], negative=[a], topn=5).
int64_t answer(const EvalTable& t, int64_t a, int64_t b, int64_t c, std::vector<double>& query) {
  for (int64_t d = 0; d < t.dim; ++d) query[static_cast<size_t>(d)] = (t.row(b)[d] + t.row(c)[d] - t.row(a)[d]) / 3.0;
  // Cosine against unit rows: the query's norm does not change the order.
  std::vector<std::pair<double, int64_t>> top;  // the best 5 rows other than a, b, c
  for (int64_t r = 0; r < t.rows; ++r) {
    if (r == a || r == b || r == c) continue;
    const double score = dot(t.row(r), query.data(), t.dim);
    const std::pair<double, int64_t> entry{score, r};
    const auto better = [](const auto& x, const auto& y) { return x.first > y.first || (x.first == y.first && x.second < y.second); };
    if (top.size() < 5 || better(entry, top.back())) {
      top.insert(std::upper_bound(top.begin(), top.end(), entry, better), entry);
      if (top.size() > 5) top.pop_back();
    }
  }
  int64_t predicted = -1;
  for (const auto& [score, r] : top) {
    predicted = r;
    const std::string& w = t.words[static_cast<size_t>(r)];
    if (w != t.words[static_cast<size_t>(a)] && w != t.words[static_cast<size_t>(b)] && w != t.words[static_cast<size_t>(c)]) break;
  }
  return predicted;
}

}  // namespace

AnalogyScore score_analogies(const WordVectors& vectors, const std::string& questions_path, int64_t restrict) {
  const EvalTable table = eval_table(vectors, restrict);
  std::ifstream in = open_eval_file(questions_path);
  AnalogyScore score;
  std::vector<double> query(static_cast<size_t>(table.dim));
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(": ", 0) == 0) {
      const auto first = line.find_first_not_of(": ");
      score.sections.push_back({first == std::string::npos ? "" : line.substr(first), 0, 0});
      continue;
    }
    if (skipped_line(line)) continue;
    std::stringstream split(line);
    std::vector<std::string> words;
    for (std::string w; split >> w;) words.push_back(folded(w));
    if (words.size() != 4) {
      throw Error::usage(questions_path + ":" + std::to_string(number) + ": not a question 'a b c d' (four words): '" +
                         line.substr(0, 80) + "'");
    }
    if (score.sections.empty()) {
      throw Error::usage(questions_path + ":" + std::to_string(number) + ": a question before the first ': section' line");
    }
    ++score.questions;
    int64_t ids[4];
    for (int i = 0; i < 4; ++i) ids[i] = table.find(words[static_cast<size_t>(i)]);
    if (std::any_of(ids, ids + 4, [](int64_t id) { return id < 0; })) {
      ++score.oov;
      continue;
    }
    const int64_t predicted = answer(table, ids[0], ids[1], ids[2], query);
    const bool right = predicted >= 0 && table.words[static_cast<size_t>(predicted)] == words[3];
    AnalogySection& section = score.sections.back();
    section.answered += 1;
    section.correct += right;
    score.total.answered += 1;
    score.total.correct += right;
  }
  if (score.questions == 0) throw Error::usage(questions_path + " holds no analogy question");
  return score;
}

}  // namespace embtrain
