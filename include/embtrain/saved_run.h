// saved_run.h — commands that use a finished run's model or weights.
//
// Declarations are torch-free (the CLI fills the options without LibTorch);
// the implementations live in the torch library, reached through backend.h.
// Each reads RUN_DIR/{config.json, vocab.txt, model.pt, embeddings.pt}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace embtrain {

struct WordVectors;

struct PredictOptions {
  std::string run_dir;
  std::vector<std::string> texts;  // empty: read stdin lines, streaming
  bool json = false;
  int64_t k = 1;  // the k most probable labels (binary runs: 2 prints both, most probable first)
  // Multi-label runs: only labels whose probability is >= this (none: 0). Binary runs: label 1
  // when the probability is > this (none: 0.5, the article's rule).
  std::optional<double> threshold;
};

struct EvalOptions {
  std::string run_dir, data, format = "auto";
  bool json = false;
};

struct NeighborsOptions {
  std::string run_dir;
  std::vector<std::string> tokens;
  int64_t k = 5;
  std::string when = "after";  // before | after
  bool json = false;
};

struct ExportOptions {
  std::string run_dir, format, output;  // format: vec | word2vec-bin | projector | torch
  std::string when = "after";
};

struct CompareOptions {
  std::string run_a, run_b;
  int64_t top = 10;
  bool json = false;
};

// Binary runs: probability, label and text per input line, tab-separated (or JSON lines).
// Multi-label runs: the top k labels (probability >= threshold), comma-separated, their
// probabilities, and the text.
void predict(const PredictOptions& options);
// Loss, accuracy, precision, recall, F1, ROC AUC and the confusion matrix on a data file.
void evaluate_run(const EvalOptions& options);
void nearest_tokens(const NeighborsOptions& options);
void export_embeddings(const ExportOptions& options);
// Two runs' embeddings side by side: per-token cosine between the runs, tokens
// that moved differently, metric differences.
void compare_runs(const CompareOptions& options);
// The rows of `tokens` from RUN_DIR/model.pt and embeddings.pt, which hold every row even when report.json
// is bounded: per token {"found", "index", "change_norm", "cosine", "neighbors": {"before",
// "after"} (k nearest word rows by cosine), "source": "embeddings.pt"}, or {"found": false,
// "reason"}; as JSON text, so that the interface stays torch-free.
std::string describe_tokens(const std::string& run_dir, const std::vector<std::string>& tokens, int64_t k);
// The word rows of RUN_DIR's table `when` ("before" or "after"), row i = line i of vocab.txt.
void run_word_vectors(const std::string& run_dir, const std::string& when, WordVectors& out);

}  // namespace embtrain
