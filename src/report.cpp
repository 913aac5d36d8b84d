// report.cpp — per-token changes, pairs, neighbours and the summary.
#include "embtrain/report.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "embtrain/config.h"
#include "embtrain/vocab.h"

namespace embtrain {
namespace {

using nlohmann::json;

// Vocabularies up to this size get neighbours for every token; larger ones
// only for the tracked pairs' tokens and the rows that moved most.
constexpr int64_t kAllNeighboursUpTo = 1000;

json row_json(const float* row, int64_t dim) { return json(std::vector<float>(row, row + dim)); }

std::string reason(int64_t batch_steps, int64_t grad_steps, bool changed) {
  if (batch_steps == 0) {
    return changed ? "moved without being in a batch (weight decay or a shared row)"
                   : "never in a batch: its gradient was always zero, so Adam never moved it";
  }
  if (grad_steps == 0) {
    return changed ? "in batches with zero gradient, moved by earlier momentum"
                   : "in batches, but its gradient was always zero (e.g. the final ReLU "
                     "clamped every example it was in)";
  }
  return changed ? "non-zero gradient in some steps; Adam's momentum keeps moving it after"
                 : "non-zero gradient, but the updates cancelled out";
}

}  // namespace

float cosine(const float* a, const float* b, int64_t dim) {
  double dot = 0, na = 0, nb = 0;
  for (int64_t i = 0; i < dim; ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return na > 0 && nb > 0 ? static_cast<float>(dot / std::sqrt(na * nb)) : 0.0f;
}

json nearest(const Matrix& m, const Vocab& vocab, int64_t row, int64_t k) {
  std::vector<std::pair<float, int64_t>> scored;
  scored.reserve(static_cast<size_t>(m.rows));
  for (int64_t other = 0; other < m.rows; ++other) {
    if (other != row) scored.emplace_back(cosine(m.row(row), m.row(other), m.dim), other);
  }
  const auto top = std::min<size_t>(static_cast<size_t>(k), scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(top), scored.end(),
                    [](const auto& a, const auto& b) {
                      return a.first > b.first || (a.first == b.first && a.second < b.second);
                    });
  json result = json::array();
  for (size_t i = 0; i < top; ++i) {
    result.push_back({vocab.token(scored[i].second), scored[i].first});
  }
  return result;
}

json build_report(const ReportInput& in, const ReportConfig& config) {
  const Vocab& vocab = *in.vocab;
  const int64_t rows = in.before.rows;
  const int64_t dim = in.before.dim;

  // Per-token change: L2 norm of after - before, cosine(before, after).
  std::vector<double> change(static_cast<size_t>(rows));
  json tokens = json::array();
  int64_t changed_rows = 0, never_in_batch = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    bool changed = false;
    for (int64_t d = 0; d < dim; ++d) {
      const float delta = in.after.row(r)[d] - in.before.row(r)[d];
      changed = changed || in.after.row(r)[d] != in.before.row(r)[d];
      sum += static_cast<double>(delta) * delta;
    }
    change[static_cast<size_t>(r)] = std::sqrt(sum);
    changed_rows += changed;
    const int64_t batch_steps = in.batch_steps[static_cast<size_t>(r)];
    const int64_t grad_steps = in.grad_steps[static_cast<size_t>(r)];
    never_in_batch += batch_steps == 0;
    tokens.push_back({{"index", r},
                      {"token", vocab.token(r)},
                      {"count", in.counts[static_cast<size_t>(r)]},
                      {"change_norm", change[static_cast<size_t>(r)]},
                      {"cosine", cosine(in.before.row(r), in.after.row(r), dim)},
                      {"changed", changed},
                      {"batch_steps", batch_steps},
                      {"grad_steps", grad_steps},
                      {"why", reason(batch_steps, grad_steps, changed)}});
  }

  std::vector<int64_t> by_change(static_cast<size_t>(rows));
  std::iota(by_change.begin(), by_change.end(), 0);
  std::stable_sort(by_change.begin(), by_change.end(), [&](int64_t a, int64_t b) {
    return change[static_cast<size_t>(a)] > change[static_cast<size_t>(b)];
  });

  // Which rows the JSON carries in full: all of them, or (large vocabularies)
  // the pairs' tokens and the rows that moved most, up to report.max_rows.
  std::vector<int64_t> pair_rows;
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
      pair_rows.push_back(a);
      pair_rows.push_back(b);
    }
    pairs.push_back(entry);
  }
  const bool complete = rows <= config.max_rows;
  std::vector<int64_t> kept;
  if (complete) {
    kept.resize(static_cast<size_t>(rows));
    std::iota(kept.begin(), kept.end(), 0);
  } else {
    std::vector<char> chosen(static_cast<size_t>(rows), 0);
    for (const int64_t r : pair_rows) chosen[static_cast<size_t>(r)] = 1;
    for (int64_t i = 0, n = 0; i < rows && n < config.max_rows; ++i, ++n) {
      chosen[static_cast<size_t>(by_change[static_cast<size_t>(i)])] = 1;
    }
    for (int64_t r = 0; r < rows; ++r) {
      if (chosen[static_cast<size_t>(r)]) kept.push_back(r);
    }
  }
  json before = json::array(), after = json::array(), diff = json::array();
  json kept_tokens = json::array();
  for (const int64_t r : kept) {
    before.push_back(row_json(in.before.row(r), dim));
    after.push_back(row_json(in.after.row(r), dim));
    std::vector<float> delta(static_cast<size_t>(dim));
    for (int64_t d = 0; d < dim; ++d) delta[static_cast<size_t>(d)] = in.after.row(r)[d] - in.before.row(r)[d];
    diff.push_back(delta);
    if (!complete) kept_tokens.push_back(tokens[static_cast<size_t>(r)]);
  }

  json neighbors = json::object();
  if (config.neighbors > 0) {
    std::vector<int64_t> subjects;
    if (rows <= kAllNeighboursUpTo) {
      subjects = kept;
    } else {
      subjects = pair_rows;
      for (int64_t i = 0; i < std::min<int64_t>(20, rows); ++i) {
        subjects.push_back(by_change[static_cast<size_t>(i)]);
      }
    }
    for (const int64_t r : subjects) {
      neighbors[vocab.token(r)] = {{"before", nearest(in.before, vocab, r, config.neighbors)},
                                   {"after", nearest(in.after, vocab, r, config.neighbors)}};
    }
  }

  json vocab_list = json::array();
  for (int64_t r = 0; r < rows; ++r) vocab_list.push_back(vocab.token(r));
  const int64_t top = by_change.empty() ? -1 : by_change.front();
  json report = {
      {"format", "embtrain-report/1"},
      {"vocab", vocab_list},
      {"complete", complete},
      {"rows", kept},
      {"before", before},
      {"after", after},
      {"diff", diff},
      {"tokens", complete ? tokens : kept_tokens},
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
                 : json{{"token", vocab.token(top)}, {"change_norm", change[static_cast<size_t>(top)]}}}}},
      {"metrics", in.metrics},
      {"config", in.config},
      {"seed", in.seed},
      {"device", in.device},
      {"optimizer", in.optimizer},
      {"libtorch_version", in.torch_version}};
  return report;
}

}  // namespace embtrain
