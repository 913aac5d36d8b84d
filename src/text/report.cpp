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

// Per StepHistory: report.json's why for a row that moved and for one that did not, and
// inspect's key and heading for the group of unchanged rows.
struct Reasons {
  const char* moved;
  const char* unmoved;
  const char* group_key;
  const char* group_why;
};
constexpr Reasons kReasons[] = {
    {"moved without being in a batch (weight decay or a shared row)",
     "never in a batch: its gradient was always zero, so Adam never moved it", "never_in_batch",
     "never in a batch: no step ever selected the row"},
    {"in batches with zero gradient, moved by earlier momentum",
     "in batches, but its gradient was always zero (e.g. the final ReLU clamped every example it "
     "was in)",
     "zero_gradient",
     "in batches, but the gradient was always zero (the final ReLU clamped every example it was "
     "in)"},
    {"non-zero gradient in some steps; Adam's momentum keeps moving it after",
     "non-zero gradient, but the updates cancelled out", "updates_cancelled",
     "had a non-zero gradient, but the updates cancelled out"}};

const Reasons& reasons(StepHistory history) { return kReasons[static_cast<int>(history)]; }

}  // namespace

StepHistory step_history(int64_t batch_steps, int64_t grad_steps) {
  if (batch_steps == 0) return StepHistory::never_in_batch;
  return grad_steps == 0 ? StepHistory::zero_gradient : StepHistory::had_gradient;
}

const char* why_text(StepHistory history, bool changed) {
  return changed ? reasons(history).moved : reasons(history).unmoved;
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

std::vector<double> row_norms(const Matrix& m) {
  std::vector<double> norms(static_cast<size_t>(m.rows));
  for (int64_t r = 0; r < m.rows; ++r) {
    double sum = 0;
    for (int64_t d = 0; d < m.dim; ++d) sum += static_cast<double>(m.row(r)[d]) * m.row(r)[d];
    norms[static_cast<size_t>(r)] = std::sqrt(sum);
  }
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

json build_report(const ReportInput& in, const ReportConfig& config) {
  const Vocab& vocab = *in.vocab;
  const int64_t rows = in.before.rows;
  const int64_t dim = in.before.dim;
  auto at = [](auto& v, int64_t i) -> decltype(auto) { return v[static_cast<size_t>(i)]; };

  // Numbers for every row first; JSON only for the rows the report keeps.
  std::vector<double> change(static_cast<size_t>(rows));
  std::vector<char> changed(static_cast<size_t>(rows));
  int64_t changed_rows = 0, never_in_batch = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    bool moved = false;
    for (int64_t d = 0; d < dim; ++d) {
      const float delta = in.after.row(r)[d] - in.before.row(r)[d];
      moved = moved || in.after.row(r)[d] != in.before.row(r)[d];
      sum += static_cast<double>(delta) * delta;
    }
    at(change, r) = std::sqrt(sum);
    at(changed, r) = moved;
    changed_rows += moved;
    never_in_batch += at(in.batch_steps, r) == 0;
  }
  std::vector<int64_t> by_change(static_cast<size_t>(rows));
  std::iota(by_change.begin(), by_change.end(), 0);
  const auto top_changed = std::min<int64_t>(rows, std::max<int64_t>(config.max_rows, 20));
  std::partial_sort(by_change.begin(), by_change.begin() + top_changed, by_change.end(),
                    [&](int64_t a, int64_t b) {
                      return at(change, a) > at(change, b) ||
                             (at(change, a) == at(change, b) && a < b);
                    });

  // Tracked pairs, and the rows that must be kept whatever the size.
  std::vector<int64_t> pinned;
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
  const bool complete = rows <= config.max_rows;
  std::vector<int64_t> kept;
  if (complete) {
    kept.resize(static_cast<size_t>(rows));
    std::iota(kept.begin(), kept.end(), 0);
  } else {
    kept = pinned;
    kept.insert(kept.end(), by_change.begin(), by_change.begin() + std::min(rows, config.max_rows));
    std::sort(kept.begin(), kept.end());
    kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  }

  json before = json::array(), after = json::array(), diff = json::array(), tokens = json::array();
  std::vector<float> delta(static_cast<size_t>(dim));
  for (const int64_t r : kept) {
    before.push_back(row_json(in.before.row(r), dim));
    after.push_back(row_json(in.after.row(r), dim));
    for (int64_t d = 0; d < dim; ++d) at(delta, d) = in.after.row(r)[d] - in.before.row(r)[d];
    diff.push_back(delta);
    const int64_t batch_steps = at(in.batch_steps, r);
    const int64_t grad_steps = at(in.grad_steps, r);
    tokens.push_back(
        {{"index", r},
         {"token", vocab.token(r)},
         {"count", at(in.counts, r)},
         {"positive_count", at(in.positive_counts, r)},
         {"change_norm", at(change, r)},
         {"cosine", cosine(in.before.row(r), in.after.row(r), dim)},
         {"changed", at(changed, r) != 0},
         {"batch_steps", batch_steps},
         {"grad_steps", grad_steps},
         {"why", why_text(step_history(batch_steps, grad_steps), at(changed, r) != 0)}});
  }

  json neighbors = json::object();
  if (config.neighbors > 0) {
    std::vector<int64_t> subjects;
    if (rows <= kAllNeighboursUpTo) {
      subjects = kept;
    } else {
      subjects = pinned;
      subjects.insert(subjects.end(), by_change.begin(),
                      by_change.begin() + std::min<int64_t>(20, rows));
    }
    // A large vocabulary's neighbours are searched among the rows training
    // touched: rows never in a batch are their random initialisation, and
    // scanning them would make the report grow with the vocabulary.
    std::vector<int64_t> touched;
    if (!complete) {
      for (int64_t r = 0; r < rows; ++r) {
        if (at(in.batch_steps, r) > 0) touched.push_back(r);
      }
    }
    const auto* candidates = complete ? nullptr : &touched;
    const auto norms_before = row_norms(in.before);
    const auto norms_after = row_norms(in.after);
    for (const int64_t r : subjects) {
      neighbors[vocab.token(r)] = {
          {"before", nearest(in.before, norms_before, vocab, r, config.neighbors, candidates)},
          {"after", nearest(in.after, norms_after, vocab, r, config.neighbors, candidates)}};
    }
  }

  // `vocab` names the rows of before/after/diff: every token when complete, the
  // kept rows' tokens (at the indices in `rows`) when not.
  json vocab_list = json::array();
  for (const int64_t r : kept) vocab_list.push_back(vocab.token(r));
  const int64_t top = rows == 0 ? -1 : by_change.front();
  return {{"format", "embtrain-report/1"},
          {"vocab", vocab_list},
          {"complete", complete},
          {"rows", kept},
          {"before", before},
          {"after", after},
          {"diff", diff},
          {"tokens", tokens},
          {"pairs", pairs},
          {"neighbors", neighbors},
          {"summary",
           {{"rows", rows},
            {"dim", dim},
            {"rows_changed", changed_rows},
            {"rows_unchanged", rows - changed_rows},
            {"rows_never_in_batch", never_in_batch},
            {"optimizer_steps", in.total_steps},
            {"largest_change",
             top < 0 ? json(nullptr)
                     : json{{"token", vocab.token(top)}, {"change_norm", at(change, top)}}}}},
          {"metrics", in.metrics},
          {"config", in.config},
          {"seed", in.seed},
          {"device", in.device},
          {"optimizer", in.optimizer},
          {"libtorch_version", in.torch_version}};
}

}  // namespace embtrain
