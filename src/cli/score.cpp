// score.cpp — `embtrain similarity` and `embtrain analogy`: a run's vectors, or any .vec file
// (fastText's, gensim's), scored on human similarity judgements and on analogy questions
// (text/word_eval.h: gensim's semantics).
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "embtrain/backend.h"
#include "embtrain/text/error.h"
#include "embtrain/text/threads.h"
#include "embtrain/text/vectors.h"
#include "embtrain/text/word_eval.h"

namespace embtrain::cli {
namespace {

struct ScoreOptions {
  std::string vectors;  // a run folder, its report.json, or a .vec file
  std::string file;     // the pairs or the questions
  std::string when = "after";
  int64_t restrict = kEvalVocabulary;
  int64_t threads = 0;
  bool json = false;
};

// A run folder (or its report.json) through the torch library; anything else as a .vec file.
WordVectors load_vectors(const ScoreOptions& options) {
  namespace fs = std::filesystem;
  fs::path path = options.vectors;
  std::error_code error;
  if (path.filename() == "report.json") path = path.parent_path();
  if (fs::is_directory(path, error)) {
    WordVectors out;
    torch_backend().run_word_vectors(path.string(), options.when, out);
    return out;
  }
  if (!fs::exists(path, error)) {
    throw Error::usage("cannot read '" + options.vectors + "': give a run folder or a .vec file (word2vec text format)");
  }
  return read_vec(path.string());
}

void add_common(CLI::App& command, ScoreOptions& options, const char* file_name, const char* file_help) {
  command.add_option("VECTORS", options.vectors, "A run folder (its vectors), or a .vec file (fastText's, gensim's)")
      ->required();
  command.add_option(file_name, options.file, file_help)->required();
  command.add_option("--when", options.when, "A run's vectors before or after training")
      ->check(CLI::IsMember({"before", "after"}))
      ->capture_default_str();
  command.add_option("--restrict", options.restrict, "Only the first N rows of the vectors are looked at (gensim's restrict_vocab)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--threads", options.threads, "Threads to score on (0: one per core); any count gives the same figures")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command.add_flag("--json", options.json, "One JSON object");
}

void print_similarity(const ScoreOptions& options, const SimilarityScore& s) {
  if (options.json) {
    std::cout << nlohmann::json{{"vectors", options.vectors}, {"pairs_file", options.file}, {"pairs", s.pairs},
                                {"oov", s.oov},           {"oov_percent", s.oov_percent()},
                                {"spearman", s.spearman}, {"pearson", s.pearson}}
                     .dump()
              << '\n';
    return;
  }
  std::cout << fmt::format("{}: Spearman {:.4f}, Pearson {:.4f} over {} pairs; {} pairs skipped, a word out of "
                           "vocabulary ({:.1f}%)\n",
                           std::filesystem::path(options.file).filename().string(), s.spearman, s.pearson, s.pairs,
                           s.oov, s.oov_percent());
}

void print_analogies(const ScoreOptions& options, const AnalogyScore& s) {
  if (options.json) {
    nlohmann::json sections = nlohmann::json::array();
    for (const auto& section : s.sections) {
      sections.push_back({{"section", section.name}, {"correct", section.correct},
                          {"answered", section.answered}, {"accuracy", section.accuracy()}});
    }
    std::cout << nlohmann::json{{"vectors", options.vectors}, {"questions_file", options.file},
                                {"sections", sections}, {"correct", s.total.correct},
                                {"answered", s.total.answered}, {"accuracy", s.total.accuracy()},
                                {"questions", s.questions}, {"oov", s.oov}, {"oov_percent", s.oov_percent()}}
                     .dump()
              << '\n';
    return;
  }
  std::cout << fmt::format("{:<32} {:>8} {:>9} {:>9}\n", "section", "correct", "answered", "accuracy");
  for (const auto& section : s.sections) {
    std::cout << fmt::format("{:<32} {:>8} {:>9} {:>9.4f}\n", section.name, section.correct, section.answered,
                             section.accuracy());
  }
  std::cout << fmt::format("{:<32} {:>8} {:>9} {:>9.4f}\n", "total", s.total.correct, s.total.answered,
                           s.total.accuracy())
            << fmt::format("{} of {} questions skipped, a word out of vocabulary ({:.1f}%)\n", s.oov, s.questions,
                           s.oov_percent());
}

}  // namespace

void setup_similarity(CLI::App& app) {
  auto options = std::make_shared<ScoreOptions>();
  CLI::App* command = app.add_subcommand(
      "similarity", "Score word vectors on human similarity judgements: Spearman and Pearson (gensim's semantics)");
  add_common(*command, *options, "PAIRS", "word1<TAB>word2<TAB>score lines ('#' comments), as WordSim-353 and SimLex-999");
  command->footer(
      "Case-insensitive; pairs with a word outside the first --restrict rows are skipped and counted.\n"
      "Example:\n  embtrain similarity runs/words \"$(.venv/bin/python -c 'from gensim.test.utils import datapath; "
      "print(datapath(\"wordsim353.tsv\"))')\"\n  embtrain similarity wiki.en.vec simlex999.txt --json");
  command->callback([options] { print_similarity(*options, score_similarity(load_vectors(*options), options->file, options->restrict)); });
}

void setup_analogy(CLI::App& app) {
  auto options = std::make_shared<ScoreOptions>();
  CLI::App* command = app.add_subcommand(
      "analogy", "Score word vectors on analogy questions a:b :: c:d with 3CosAdd, per section (gensim's semantics)");
  add_common(*command, *options, "QUESTIONS", "word2vec's questions-words.txt format: ': section' lines, then 'a b c d'");
  command->footer(
      "The answer is the row nearest to b - a + c by cosine, a, b and c excluded; questions with a word\n"
      "outside the first --restrict rows are skipped and counted.\n"
      "Example:\n  embtrain analogy runs/words questions-words.txt --json");
  command->callback([options] {
    set_shared_threads(options->threads);
    print_analogies(*options, score_analogies(load_vectors(*options), options->file, options->restrict));
  });
}

}  // namespace embtrain::cli
