// word_eval.h — word vectors scored on human similarity judgements and analogy questions.
//
// The semantics are gensim 4.4's KeyedVectors.evaluate_word_pairs and evaluate_word_analogies
// (their defaults), so figures agree with gensim on the same vectors:
//   - only the first `restrict` rows (300,000) are looked at, in the vectors' order;
//   - words are compared case-insensitively (ASCII letters), and where several rows fold to
//     the same word the first one is used;
//   - pairs or questions with a word outside those rows are skipped and counted;
//   - similarity: Spearman (average ranks for ties) and Pearson between the human scores and
//     the cosines; the out-of-vocabulary share is in percent of all pairs read;
//   - analogy: 3CosAdd. For "a b c d", the rows nearest to unit(b) + unit(c) - unit(a) by
//     cosine, a, b and c excluded, and among the first five the first whose word is not one of
//     a, b, c (case folded) is the answer; accuracy per section (": name" lines) and in total.
// Differences from gensim: a line that is not a pair (three tab-separated fields, the last a
// number) or not a question (four words) is an Error naming file:line, where gensim skips it;
// blank lines and '#' comment lines are skipped by both.
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "embtrain/text/vectors.h"

namespace embtrain {

inline constexpr int64_t kEvalVocabulary = 300000;

struct SimilarityScore {
  int64_t pairs = 0;   // pairs scored
  int64_t oov = 0;     // pairs skipped: a word not among the first `restrict` rows
  double spearman = 0, pearson = 0;
  double oov_percent() const { return pairs + oov == 0 ? 0.0 : 100.0 * static_cast<double>(oov) / static_cast<double>(pairs + oov); }
};

struct AnalogySection {
  std::string name;
  int64_t correct = 0, answered = 0;  // questions answered (all words known) and right
  double accuracy() const { return answered == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(answered); }
};

struct AnalogyScore {
  std::vector<AnalogySection> sections;  // in file order
  AnalogySection total{"Total accuracy"};
  int64_t questions = 0, oov = 0;  // questions read; of them, skipped for an unknown word
  double oov_percent() const { return questions == 0 ? 0.0 : 100.0 * static_cast<double>(oov) / static_cast<double>(questions); }
};

// Spearman's rho with average ranks (scipy.stats.spearmanr), and Pearson's r; 0 when either
// side is constant or there are fewer than two values.
double spearman(const std::vector<double>& x, const std::vector<double>& y);
double pearson(const std::vector<double>& x, const std::vector<double>& y);

// `pairs_path`: "word1<TAB>word2<TAB>score" lines (WordSim-353, SimLex-999). An Error when no
// pair can be scored.
SimilarityScore score_similarity(const WordVectors& vectors, const std::string& pairs_path,
                                 int64_t restrict = kEvalVocabulary);
// `questions_path`: word2vec's questions-words.txt format.
AnalogyScore score_analogies(const WordVectors& vectors, const std::string& questions_path,
                             int64_t restrict = kEvalVocabulary);

}  // namespace embtrain
