// run_compare.cpp — compare's token rows, ranking, metric differences and text output.
#include "embtrain/text/run_compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>

#include "embtrain/text/report.h"

namespace embtrain {

using nlohmann::json;

std::vector<TokenComparison> compare_tokens(const Vocab& a_vocab, const Vocab& b_vocab, const Matrix& ba,
                                            const Matrix& aa, const Matrix& bb, const Matrix& ab) {
  const int64_t dim = ba.dim;
  std::vector<TokenComparison> rows;
  std::vector<float> delta_a(static_cast<size_t>(dim)), delta_b(static_cast<size_t>(dim));
  for (int64_t ia = 0; ia < a_vocab.size(); ++ia) {
    const int64_t ib = b_vocab.find(a_vocab.token(ia));
    if (ib < 0) continue;
    double na = 0, nb = 0;
    for (int64_t d = 0; d < dim; ++d) {
      const auto k = static_cast<size_t>(d);
      delta_a[k] = aa.row(ia)[d] - ba.row(ia)[d];
      delta_b[k] = ab.row(ib)[d] - bb.row(ib)[d];
      na += static_cast<double>(delta_a[k]) * delta_a[k];
      nb += static_cast<double>(delta_b[k]) * delta_b[k];
    }
    rows.push_back({a_vocab.token(ia), cosine(aa.row(ia), ab.row(ib), dim),
                    cosine(delta_a.data(), delta_b.data(), dim), std::sqrt(na), std::sqrt(nb)});
  }
  return rows;
}

json moved_differently(const std::vector<TokenComparison>& rows, int64_t top) {
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    const bool mx = rows[x].change_a > 0 || rows[x].change_b > 0;
    const bool my = rows[y].change_a > 0 || rows[y].change_b > 0;
    if (mx != my) return mx;
    if (rows[x].cosine_change != rows[y].cosine_change) return rows[x].cosine_change < rows[y].cosine_change;
    return std::abs(rows[x].change_a - rows[x].change_b) > std::abs(rows[y].change_a - rows[y].change_b);
  });
  json differently = json::array();
  for (size_t i = 0; i < std::min<size_t>(static_cast<size_t>(top), order.size()); ++i) {
    const TokenComparison& r = rows[order[i]];
    differently.push_back({{"token", r.token},
                           {"cosine_after", r.cosine_after},
                           {"cosine_change", r.cosine_change},
                           {"change_a", r.change_a},
                           {"change_b", r.change_b}});
  }
  return differently;
}

json metric_differences(const json& report_a, const json& report_b) {
  json metric_delta = json::object();
  for (const auto& [split, values] : report_a.at("metrics").items()) {
    if (!report_b.at("metrics").contains(split)) continue;
    for (const auto& [key, value] : values.items()) {
      if (value.is_number_float() && report_b["metrics"][split].contains(key)) {
        const json& b = report_b["metrics"][split][key];
        metric_delta[split][key] = {{"a", value}, {"b", b}, {"b_minus_a", b.get<double>() - value.get<double>()}};
      }
    }
  }
  return metric_delta;
}

void print_comparison(const json& out) {
  std::cout << fmt::format("{} common tokens ({} only in A, {} only in B); mean cosine between the runs' "
                           "trained vectors {:.4f}\n\nmoved differently:\n  {:<24} {:>10} {:>10} {:>10} {:>10}\n",
                           out["common_tokens"].get<int64_t>(), out["only_in_a"].get<int64_t>(),
                           out["only_in_b"].get<int64_t>(), out["mean_cosine_after"].get<double>(), "token",
                           "cos(after)", "cos(change)", "change A", "change B");
  for (const auto& r : out["moved_differently"]) {
    std::cout << fmt::format("  {:<24} {:>+10.4f} {:>+10.4f} {:>10.4f} {:>10.4f}\n", r["token"].get<std::string>(),
                             r["cosine_after"].get<double>(), r["cosine_change"].get<double>(),
                             r["change_a"].get<double>(), r["change_b"].get<double>());
  }
  std::cout << "\nmetrics (B - A):\n";
  for (const auto& [split, values] : out["metrics"].items()) {
    for (const auto& [key, value] : values.items()) {
      std::cout << fmt::format("  {:<6} {:<10} {:.4f} -> {:.4f} ({:+.4f})\n", split, key, value["a"].get<double>(),
                               value["b"].get<double>(), value["b_minus_a"].get<double>());
    }
  }
}

}  // namespace embtrain
