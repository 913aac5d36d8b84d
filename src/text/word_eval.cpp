// word_eval.cpp — similarity and analogy scores with gensim's semantics (word_eval.h).
#include "embtrain/text/word_eval.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>
#include <unordered_map>

#include "embtrain/text/error.h"
#include "embtrain/text/threads.h"

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

// Questions scored a block at a time: each pass over the rows serves kBlock queries, which stay
// in the cache while the table streams past.
constexpr int64_t kBlock = 32;

struct Question {
  int64_t ids[4];
  size_t section;
};

// The five best rows other than a, b, c for one query, best first (ties to the lower row).
struct TopFive {
  std::pair<float, int64_t> best[5];
  int count = 0;
  static bool better(const std::pair<float, int64_t>& x, const std::pair<float, int64_t>& y) {
    return x.first > y.first || (x.first == y.first && x.second < y.second);
  }
  void offer(float score, int64_t row) {
    const std::pair<float, int64_t> entry{score, row};
    if (count == 5 && !better(entry, best[4])) return;
    int i = count < 5 ? count++ : 4;
    while (i > 0 && better(entry, best[i - 1])) {
      best[i] = best[i - 1];
      --i;
    }
    best[i] = entry;
  }
};

// 3CosAdd's answers to questions [begin, end), as gensim's most_similar(positive=[b, c],
// negative=[a], topn=5): among the five rows nearest to b + c - a (a, b and c excluded), the
// first whose word is none of a, b, c; else the fifth.
void answer_block(const EvalTable& t, const std::vector<float>& unit, const std::vector<Question>& questions,
                  int64_t begin, int64_t end, std::vector<int64_t>& answers) {
  const int64_t n = end - begin, dim = t.dim;
  // query [dim, kBlock], transposed so that the inner loop runs over questions (independent
  // sums, which the compiler vectorises; each question's sum keeps the order of d).
  std::vector<float> query(static_cast<size_t>(dim * kBlock), 0.0f);
  for (int64_t q = 0; q < n; ++q) {
    const auto& ids = questions[static_cast<size_t>(begin + q)].ids;
    for (int64_t d = 0; d < dim; ++d) {
      query[static_cast<size_t>(d * kBlock + q)] =
          static_cast<float>(t.row(ids[1])[d] + t.row(ids[2])[d] - t.row(ids[0])[d]);
    }
  }
  std::vector<TopFive> top(static_cast<size_t>(n));
  float scores[kBlock];
  for (int64_t r = 0; r < t.rows; ++r) {
    const float* row = unit.data() + r * dim;
    for (int64_t q = 0; q < kBlock; ++q) scores[q] = 0.0f;
    for (int64_t d = 0; d < dim; ++d) {
      const float x = row[d];
      const float* column = query.data() + d * kBlock;
      for (int64_t q = 0; q < kBlock; ++q) scores[q] += x * column[q];
    }
    for (int64_t q = 0; q < n; ++q) {
      const auto& ids = questions[static_cast<size_t>(begin + q)].ids;
      if (r != ids[0] && r != ids[1] && r != ids[2]) top[static_cast<size_t>(q)].offer(scores[q], r);
    }
  }
  for (int64_t q = 0; q < n; ++q) {
    const auto& ids = questions[static_cast<size_t>(begin + q)].ids;
    const TopFive& five = top[static_cast<size_t>(q)];
    int64_t predicted = -1;
    for (int i = 0; i < five.count; ++i) {
      predicted = five.best[i].second;
      const std::string& w = t.words[static_cast<size_t>(predicted)];
      if (w != t.words[static_cast<size_t>(ids[0])] && w != t.words[static_cast<size_t>(ids[1])] &&
          w != t.words[static_cast<size_t>(ids[2])]) {
        break;
      }
    }
    answers[static_cast<size_t>(begin + q)] = predicted;
  }
}

// The questions of `path` whose four words are known; sections and counts into `score`.
std::vector<Question> read_questions(const EvalTable& table, const std::string& path, AnalogyScore& score) {
  std::ifstream in = open_eval_file(path);
  std::vector<Question> questions;
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
      throw Error::usage(path + ":" + std::to_string(number) + ": not a question 'a b c d' (four words): '" +
                         line.substr(0, 80) + "'");
    }
    if (score.sections.empty()) {
      throw Error::usage(path + ":" + std::to_string(number) + ": a question before the first ': section' line");
    }
    ++score.questions;
    Question question{{}, score.sections.size() - 1};
    for (int i = 0; i < 4; ++i) question.ids[i] = table.find(words[static_cast<size_t>(i)]);
    if (std::any_of(question.ids, question.ids + 4, [](int64_t id) { return id < 0; })) {
      ++score.oov;
      continue;
    }
    questions.push_back(question);
  }
  if (score.questions == 0) throw Error::usage(path + " holds no analogy question");
  return questions;
}

}  // namespace

AnalogyScore score_analogies(const WordVectors& vectors, const std::string& questions_path, int64_t restrict) {
  const EvalTable table = eval_table(vectors, restrict);
  AnalogyScore score;
  const std::vector<Question> questions = read_questions(table, questions_path, score);
  std::vector<float> unit(table.unit.begin(), table.unit.end());  // [rows, dim] float32, as gensim scores
  std::vector<int64_t> answers(questions.size(), -1);
  const auto blocks = static_cast<int64_t>((questions.size() + kBlock - 1) / kBlock);
  // Each question is answered by one thread, whatever the split: the same answers on any count.
  shared_pool().run(blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t block = first; block < last; ++block) {
      answer_block(table, unit, questions, block * kBlock,
                   std::min<int64_t>(static_cast<int64_t>(questions.size()), (block + 1) * kBlock), answers);
    }
  });
  for (size_t i = 0; i < questions.size(); ++i) {
    const bool right = answers[i] >= 0 && table.words[static_cast<size_t>(answers[i])] ==
                                              table.words[static_cast<size_t>(questions[i].ids[3])];
    AnalogySection& section = score.sections[questions[i].section];
    section.answered += 1;
    section.correct += right;
    score.total.answered += 1;
    score.total.correct += right;
  }
  return score;
}

}  // namespace embtrain
