// report_view.h — report.json as typed fields: what `embtrain inspect` and report.html read.
//
// view_report() decodes and checks the JSON once (types, ranges, matching lengths); the
// readers then work on plain C++ values and never meet a wrong type. Optional parts of a
// report may be absent (hand-made reports, older runs); a part that is present with the wrong
// type, out of range or of the wrong length is an Error naming the field.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "embtrain/text/matrix.h"
#include "embtrain/text/run_state.h"

namespace embtrain {

// One entry of report.json's "tokens": one kept row of the embedding.
struct TokenRecord {
  int64_t index = 0;  // row in the full vocabulary
  std::string token;
  int64_t count = 0;                      // occurrences in the training data
  std::optional<int64_t> positive_count;  // of those, in label-1 examples (binary runs)
  std::optional<std::string> dominant_label;  // multi-label runs: the label it occurs with most
  double change_norm = NAN;               // |after - before|; NaN: null or absent
  double cosine = NAN;                    // cosine(before, after); NaN: null or absent
  bool changed = false;
  int64_t batch_steps = 0, grad_steps = 0;
  std::string why;
};

// One entry of report.json's "pairs": a tracked pair of tokens.
struct PairRecord {
  std::string a, b;
  std::optional<std::string> missing;  // the token not in the vocabulary, when one is not
  double cosine_before = NAN, cosine_after = NAN;  // NaN: null or absent
};

struct Neighbor {
  std::string token;
  double cosine = NAN;
};

// report.json's "neighbors"[token]: nearest first.
struct NeighborLists {
  std::vector<Neighbor> before, after;
};

struct ReportSummary {
  std::optional<int64_t> rows, dim, rows_changed, rows_unchanged, rows_never_in_batch,
      optimizer_steps;
  struct LargestChange {
    std::string token;
    double change_norm = NAN;
  };
  std::optional<LargestChange> largest_change;
};

// One split's final metrics (metrics.h's to_json); NaN: null.
struct SplitMetrics {
  std::optional<int64_t> examples;
  std::optional<double> loss, accuracy, precision, recall, f1;
  std::optional<double> p_at_1, r_at_1, macro_f1;  // multi-label runs
  std::optional<double> spearman, pearson;          // word runs: a pairs file's scores
  std::optional<int64_t> pairs;                     // and the pairs scored
};

// The parts of report.json's resolved "config" (and run facts) that the page's header shows.
struct ReportRunInfo {
  std::string data_train, pooling;
  std::optional<bool> final_relu;
  std::optional<int64_t> epochs, batch_size;
  std::optional<double> lr;
  std::optional<int64_t> report_neighbors;  // config.report.neighbors
  std::string optimizer, device, libtorch_version;
  std::optional<int64_t> seed;
  std::vector<std::string> label_names;  // config.data.label_names: what 0 and 1 mean, or empty
};

struct ReportView {
  std::vector<std::string> labels;  // multi-label runs: the label set in output order
  // The kept rows: V of them (every row when complete), D dimensions each.
  std::vector<std::string> vocab;  // [V] each row's token
  std::vector<int64_t> rows;       // [V] each row's index in the full vocabulary (may be empty)
  int64_t dim = 0;                 // D (0 when V = 0)
  std::vector<float> before, after, diff;  // [V, D] row-major; diff is report.json's after - before
  std::vector<TokenRecord> tokens;         // [V] when "vocab" is present
  std::vector<PairRecord> pairs;
  std::map<std::string, NeighborLists> neighbors;
  ReportSummary summary;
  std::map<std::string, SplitMetrics> metrics;  // "train" | "valid" | "test", as present
  // "complete" as written; absent reads as complete on the page and in inspect's header, but as
  // bounded where inspect decides whether it may compute neighbours.
  std::optional<bool> complete;
  ReportRunInfo run;
  // How the run ended: report.json's "state", or for an older report its "interrupted" and
  // "early_stopping"; finished when neither says otherwise.
  RunState state;

  size_t size() const { return vocab.size(); }
  Matrix before_matrix() const { return {static_cast<int64_t>(size()), dim, before.data()}; }
  Matrix after_matrix() const { return {static_cast<int64_t>(size()), dim, after.data()}; }
  Matrix diff_matrix() const { return {static_cast<int64_t>(size()), dim, diff.data()}; }
};

// Decodes report.json's content. Throws Error (runtime) naming the field on a wrong type, a
// number out of range (an integer field beyond int64 or negative, a row value beyond float32)
// or lengths that do not match (vocab, rows, before, after, diff, tokens).
ReportView view_report(const nlohmann::json& report);

// metrics.jsonl's text: one JSON object per line (blank lines skipped); an Error naming
// `name`:line for a line that is not one.
std::vector<nlohmann::json> parse_metrics_lines(const std::string& text, const std::string& name);

// The JSON inspect --json echoes: summary and metrics as report.json wrote them (a NaN as null).
nlohmann::json to_json(const ReportSummary& summary);
nlohmann::json to_json(const std::map<std::string, SplitMetrics>& metrics);

// A number field as report.json writes it: NaN (a null in the report) as null.
nlohmann::json number_or_null(double value);

}  // namespace embtrain
