// report.cpp — per-token changes, pairs, neighbours and the summary.
#include "embtrain/text/report.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "embtrain/text/config.h"
#include "embtrain/text/vocab.h"

namespace embtrain {
namespace {

using nlohmann::json;

// Vocabularies up to this size get neighbours for every token; larger ones
// only for the tracked pairs' tokens and the rows that moved most.
constexpr int64_t kAllNeighboursUpTo = 1000;

json row_json(const float* row, int64_t dim) { return json(std::vector<float>(row, row + dim)); }

// Per StepHistory: inspect's key and heading for the group of unchanged rows.
struct Reasons {
  const char* group_key;
  const char* group_why;
};
constexpr Reasons kReasons[] = {
    {"never_in_batch", "never in a batch: no step ever selected the row"},
    {"zero_gradient",
     "in batches, but the gradient was always zero (a final ReLU clamping every example it was "
     "in, max pooling never picking it, or a frozen embedding)"},
    {"updates_cancelled", "had a non-zero gradient, but the updates cancelled out"}};

const Reasons& reasons(StepHistory history) { return kReasons[static_cast<int>(history)]; }

}  // namespace

StepHistory step_history(int64_t batch_steps, int64_t grad_steps) {
  if (batch_steps == 0) return StepHistory::never_in_batch;
  return grad_steps == 0 ? StepHistory::zero_gradient : StepHistory::had_gradient;
}

// Adam keeps moving a row with its momentum in every later step; SparseAdam moves only the rows
// of the current batch (with their moments), and never the others.
std::string why_text(StepHistory history, bool changed, const WhyContext& context) {
  const bool sparse = context.sparse_adam;
  switch (history) {
    case StepHistory::never_in_batch:
      return changed ? "moved without being in a batch (a row shared with one that was)"
                     : sparse ? "never in a batch, so SparseAdam never touched it"
                              : "never in a batch: its gradient was always zero, so Adam never moved it";
    case StepHistory::zero_gradient:
      if (changed) {
        return sparse ? "in batches with a zero gradient; SparseAdam still stepped it with its moments"
                      : "in batches with zero gradient, moved by earlier momentum";
      }
      return context.final_relu
                 ? "in batches, but its gradient was always zero (the final ReLU clamped every example it was in)"
                 : "in batches, but its gradient was always zero (max pooling never picked it, or the "
                   "embedding is frozen)";
    case StepHistory::had_gradient:
      if (!changed) return "non-zero gradient, but the updates cancelled out";
      return sparse ? "non-zero gradient in some steps; SparseAdam moved it in the steps whose batch held it"
                    : "non-zero gradient in some steps; Adam's momentum keeps moving it in every later step";
  }
  return "";
}
const char* unchanged_key(StepHistory history) { return reasons(history).group_key; }
const char* unchanged_why(StepHistory history) { return reasons(history).group_why; }

float cosine(const float* a, const float* b, int64_t dim) {
  double dot = 0, na = 0, nb = 0;
  for (int64_t i = 0; i < dim; ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return na > 0 && nb > 0 ? static_cast<float>(dot / std::sqrt(na * nb)) : 0.0f;
}

namespace {

double row_norm(const Matrix& m, int64_t r) {
  double sum = 0;
  const float* row = m.row(r);
  for (int64_t d = 0; d < m.dim; ++d) sum += static_cast<double>(row[d]) * row[d];
  return std::sqrt(sum);
}

}  // namespace

std::vector<double> row_norms(const Matrix& m) {
  std::vector<double> norms(static_cast<size_t>(m.rows));
  for (int64_t r = 0; r < m.rows; ++r) norms[static_cast<size_t>(r)] = row_norm(m, r);
  return norms;
}

std::vector<double> row_norms(const Matrix& m, const std::vector<int64_t>& only) {
  std::vector<double> norms(static_cast<size_t>(m.rows), 0.0);
  for (const int64_t r : only) norms[static_cast<size_t>(r)] = row_norm(m, r);
  return norms;
}

std::vector<std::pair<int64_t, float>> nearest_rows(const Matrix& m,
                                                    const std::vector<double>& norms, int64_t row,
                                                    int64_t k,
                                                    const std::vector<int64_t>* candidates) {
  std::vector<std::pair<float, int64_t>> scored;
  scored.reserve(candidates ? candidates->size() : static_cast<size_t>(m.rows));
  const float* a = m.row(row);
  const double norm_a = norms[static_cast<size_t>(row)];
  const int64_t count = candidates ? static_cast<int64_t>(candidates->size()) : m.rows;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t other = candidates ? (*candidates)[static_cast<size_t>(i)] : i;
    if (other == row) continue;
    const float* b = m.row(other);
    double dot = 0;
    for (int64_t d = 0; d < m.dim; ++d) dot += static_cast<double>(a[d]) * b[d];
    const double denominator = norm_a * norms[static_cast<size_t>(other)];
    scored.emplace_back(denominator > 0 ? static_cast<float>(dot / denominator) : 0.0f, other);
  }
  const auto top = std::min<size_t>(static_cast<size_t>(std::max<int64_t>(k, 0)), scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(top), scored.end(),
                    [](const auto& x, const auto& y) {
                      return x.first > y.first || (x.first == y.first && x.second < y.second);
                    });
  std::vector<std::pair<int64_t, float>> result;
  result.reserve(top);
  for (size_t i = 0; i < top; ++i) result.emplace_back(scored[i].second, scored[i].first);
  return result;
}

json nearest(const Matrix& m, const std::vector<double>& norms, const Vocab& vocab, int64_t row,
             int64_t k, const std::vector<int64_t>* candidates) {
  json result = json::array();
  for (const auto& [other, score] : nearest_rows(m, norms, row, k, candidates)) {
    result.push_back({vocab.token(other), score});
  }
  return result;
}

namespace {

template <typename V>
decltype(auto) at(V& v, int64_t i) {
  return v[static_cast<size_t>(i)];
}

// How each of the V rows moved: numbers for every row, whatever the report keeps.
struct RowChanges {
  std::vector<double> norm;      // [V] L2 norm of after - before
  std::vector<char> changed;     // [V] any element differs
  int64_t changed_rows = 0, never_in_batch = 0;
  std::vector<int64_t> by_change;  // row ids, the first top_changed sorted by norm, largest first
};

// Each movable row's change; the rows by change, largest first, as far as the report needs
// them (rows that cannot have moved come after, in index order, with change 0).
RowChanges measure_changes(const ReportInput& in, const ReportConfig& config) {
  const int64_t rows = in.before.rows, dim = in.before.dim;
  RowChanges out;
  out.norm.assign(static_cast<size_t>(rows), 0.0);
  out.changed.assign(static_cast<size_t>(rows), 0);
  std::vector<int64_t> all;
  if (in.movable == nullptr) {
    all.resize(static_cast<size_t>(rows));
    std::iota(all.begin(), all.end(), 0);
  }
  const std::vector<int64_t>& movable = in.movable ? *in.movable : all;
  for (const int64_t r : movable) {
    double sum = 0;
    bool moved = false;
    const float *a = in.after.row(r), *b = in.before.row(r);
    for (int64_t d = 0; d < dim; ++d) {
      const float delta = a[d] - b[d];
      moved = moved || a[d] != b[d];
      sum += static_cast<double>(delta) * delta;
    }
    at(out.norm, r) = std::sqrt(sum);
    at(out.changed, r) = moved;
    out.changed_rows += moved;
  }
  for (int64_t r = 0; r < rows; ++r) out.never_in_batch += at(in.batch_steps, r) == 0;
  // The moved rows sorted by change (ties to the lower index), then every row with change 0 in
  // index order, up to top_changed: what a partial sort of all rows gives.
  const auto top_changed = std::min<int64_t>(rows, std::max<int64_t>(config.max_rows, 20));
  const auto& norm = out.norm;
  for (const int64_t r : movable) {
    if (!(at(norm, r) == 0)) out.by_change.push_back(r);  // NaN included: a row that moved
  }
  const auto by_norm = [&](int64_t a, int64_t b) {
    return at(norm, a) > at(norm, b) || (at(norm, a) == at(norm, b) && a < b);
  };
  const auto sorted = std::min<size_t>(out.by_change.size(), static_cast<size_t>(top_changed));
  std::partial_sort(out.by_change.begin(), out.by_change.begin() + static_cast<std::ptrdiff_t>(sorted),
                    out.by_change.end(), by_norm);
  out.by_change.resize(sorted);
  for (int64_t r = 0; r < rows && static_cast<int64_t>(out.by_change.size()) < top_changed; ++r) {
    if (at(norm, r) == 0) out.by_change.push_back(r);
  }
  return out;
}

// report.pairs' cosines before and after; the rows of found pairs and of report.tokens are
// appended to `pinned` (kept whatever the vocabulary's size).
json track_pairs(const ReportInput& in, const ReportConfig& config, std::vector<int64_t>& pinned) {
  const Vocab& vocab = *in.vocab;
  const int64_t dim = in.before.dim;
  json pairs = json::array();
  for (const auto& pair : config.pairs) {
    const int64_t a = vocab.find(pair[0]);
    const int64_t b = vocab.find(pair[1]);
    json entry = {{"a", pair[0]}, {"b", pair[1]}};
    if (a < 0 || b < 0) {
      entry["missing"] = a < 0 ? pair[0] : pair[1];
    } else {
      const float before = cosine(in.before.row(a), in.before.row(b), dim);
      const float after = cosine(in.after.row(a), in.after.row(b), dim);
      entry["cosine_before"] = before;
      entry["cosine_after"] = after;
      entry["closer"] = after > before;
      pinned.push_back(a);
      pinned.push_back(b);
    }
    pairs.push_back(entry);
  }
  for (const auto& token : config.tokens) {
    const int64_t id = vocab.find(token);
    if (id >= 0) pinned.push_back(id);
  }
  return pairs;
}

// Every row when the vocabulary is small enough; else the pinned rows and the max_rows rows
// that moved most, in index order.
std::vector<int64_t> rows_to_keep(int64_t rows, const ReportConfig& config,
                                  const std::vector<int64_t>& pinned, const RowChanges& changes) {
  std::vector<int64_t> kept;
  if (rows <= config.max_rows) {
    kept.resize(static_cast<size_t>(rows));
    std::iota(kept.begin(), kept.end(), 0);
    return kept;
  }
  kept = pinned;
  kept.insert(kept.end(), changes.by_change.begin(),
              changes.by_change.begin() + std::min(rows, config.max_rows));
  std::sort(kept.begin(), kept.end());
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  return kept;
}

// before/after/diff rows and the per-token records of the kept rows.
struct RowSections {
  json before = json::array(), after = json::array(), diff = json::array(), tokens = json::array();
};

// What the why texts depend on: the optimizer and the final ReLU.
WhyContext why_context(const ReportInput& in) {
  WhyContext context;
  context.sparse_adam = in.optimizer == "sparse_adam";
  const auto model = in.config.find("model");
  context.final_relu = model == in.config.end() || model->value("final_relu", true);
  return context;
}

// A multi-label run's token: its count per label and its dominant label (the label it occurs
// with most; ties to the earlier label; null for a token never seen in training).
void add_label_counts(const ReportInput& in, int64_t row, json& token) {
  const size_t classes = in.label_names.size();
  json counts = json::object();
  int64_t best = -1, best_count = 0;
  for (size_t c = 0; c < classes; ++c) {
    const int64_t n = in.label_counts[static_cast<size_t>(row) * classes + c];
    if (n == 0) continue;
    counts[in.label_names[c]] = n;
    if (n > best_count) {
      best = static_cast<int64_t>(c);
      best_count = n;
    }
  }
  token["label_counts"] = counts;
  token["dominant_label"] = best < 0 ? json(nullptr) : json(in.label_names[static_cast<size_t>(best)]);
}

RowSections row_sections(const ReportInput& in, const std::vector<int64_t>& kept,
                         const RowChanges& changes) {
  const int64_t dim = in.before.dim;
  RowSections out;
  std::vector<float> delta(static_cast<size_t>(dim));
  for (const int64_t r : kept) {
    out.before.push_back(row_json(in.before.row(r), dim));
    out.after.push_back(row_json(in.after.row(r), dim));
    for (int64_t d = 0; d < dim; ++d) at(delta, d) = in.after.row(r)[d] - in.before.row(r)[d];
    out.diff.push_back(delta);
    const int64_t batch_steps = at(in.batch_steps, r);
    const int64_t grad_steps = at(in.grad_steps, r);
    const bool changed = at(changes.changed, r) != 0;
    json token = {{"index", r},
                  {"token", in.vocab->token(r)},
                  {"count", at(in.counts, r)},
                  {"change_norm", at(changes.norm, r)},
                  {"cosine", cosine(in.before.row(r), in.after.row(r), dim)},
                  {"changed", changed},
                  {"batch_steps", batch_steps},
                  {"grad_steps", grad_steps},
                  {"why", why_text(step_history(batch_steps, grad_steps), changed, why_context(in))}};
    if (in.label_names.empty()) {
      token["positive_count"] = at(in.positive_counts, r);
    } else {
      add_label_counts(in, r, token);
    }
    out.tokens.push_back(std::move(token));
  }
  return out;
}

// token -> {before, after}: its report.neighbors nearest tokens, for the kept rows of a small
// vocabulary, else for the pinned rows and the 20 that moved most.
json neighbour_lists(const ReportInput& in, const ReportConfig& config, const std::vector<int64_t>& kept,
                     const std::vector<int64_t>& pinned, const RowChanges& changes, bool complete) {
  json neighbors = json::object();
  if (config.neighbors <= 0) return neighbors;
  const int64_t rows = in.before.rows;
  std::vector<int64_t> subjects;
  if (rows <= kAllNeighboursUpTo) {
    subjects = kept;
  } else {
    subjects = pinned;
    subjects.insert(subjects.end(), changes.by_change.begin(),
                    changes.by_change.begin() + std::min<int64_t>(20, rows));
  }
  // A large vocabulary's neighbours are searched among the rows training touched: rows never
  // in a batch are their random initialisation, and scanning them would make the report grow
  // with the vocabulary.
  // report.neighbors_min_count keeps rare tokens (whose rows training barely shaped) out of the
  // lists.
  const bool filtered = !complete || config.neighbors_min_count > 1;
  std::vector<int64_t> touched;
  if (filtered) {
    for (int64_t r = 0; r < rows; ++r) {
      if ((complete || at(in.batch_steps, r) > 0) && at(in.counts, r) >= config.neighbors_min_count) {
        touched.push_back(r);
      }
    }
  }
  const auto* candidates = filtered ? &touched : nullptr;
  // The norms of the rows a search reads: the candidates and the subjects.
  std::vector<double> norms_before, norms_after;
  if (candidates == nullptr) {
    norms_before = row_norms(in.before);
    norms_after = row_norms(in.after);
  } else {
    std::vector<int64_t> read = touched;
    read.insert(read.end(), subjects.begin(), subjects.end());
    std::sort(read.begin(), read.end());
    read.erase(std::unique(read.begin(), read.end()), read.end());
    norms_before = row_norms(in.before, read);
    norms_after = row_norms(in.after, read);
  }
  for (const int64_t r : subjects) {
    neighbors[in.vocab->token(r)] = {
        {"before", nearest(in.before, norms_before, *in.vocab, r, config.neighbors, candidates)},
        {"after", nearest(in.after, norms_after, *in.vocab, r, config.neighbors, candidates)}};
  }
  return neighbors;
}

}  // namespace

json build_report(const ReportInput& in, const ReportConfig& config) {
  const int64_t rows = in.before.rows;
  const RowChanges changes = measure_changes(in, config);
  std::vector<int64_t> pinned;
  const json pairs = track_pairs(in, config, pinned);
  const bool complete = rows <= config.max_rows;
  const std::vector<int64_t> kept = rows_to_keep(rows, config, pinned, changes);
  RowSections sections = row_sections(in, kept, changes);
  const json neighbors = neighbour_lists(in, config, kept, pinned, changes, complete);

  // `vocab` names the rows of before/after/diff: every token when complete, the kept rows'
  // tokens (at the indices in `rows`) when not.
  json vocab_list = json::array();
  for (const int64_t r : kept) vocab_list.push_back(in.vocab->token(r));
  const int64_t top = rows == 0 ? -1 : changes.by_change.front();
  json report = {{"format", "embtrain-report/1"},
          {"vocab", vocab_list},
          {"complete", complete},
          {"rows", kept},
          {"before", std::move(sections.before)},
          {"after", std::move(sections.after)},
          {"diff", std::move(sections.diff)},
          {"tokens", std::move(sections.tokens)},
          {"pairs", pairs},
          {"neighbors", neighbors},
          {"summary",
           {{"rows", rows},
            {"dim", in.before.dim},
            {"rows_changed", changes.changed_rows},
            {"rows_unchanged", rows - changes.changed_rows},
            {"rows_never_in_batch", changes.never_in_batch},
            {"optimizer_steps", in.total_steps},
            {"largest_change", top < 0 ? json(nullptr)
                                       : json{{"token", in.vocab->token(top)},
                                              {"change_norm", at(changes.norm, top)}}}}},
          {"metrics", in.metrics},
          {"config", in.config},
          {"seed", in.seed},
          {"device", in.device},
          {"optimizer", in.optimizer},
          {"libtorch_version", in.torch_version}};
  if (!in.label_names.empty()) report["labels"] = in.label_names;  // multi-label runs only
  return report;
}

}  // namespace embtrain
