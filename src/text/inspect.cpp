// inspect.cpp — inspect_report and read_report: what changed in a run, from report.json.
//
// Everything here reads the run's report (decoded once by view_report); nothing is recomputed
// from the model. The one computation is the cosine neighbours of a requested token when
// report.json has none for it (only possible when the report is complete, i.e. holds every row
// of the embedding).
#include "embtrain/text/inspect.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/text/report.h"
#include "embtrain/text/report_view.h"
#include "embtrain/text/run_dir.h"

namespace embtrain {
namespace {

using nlohmann::json;

constexpr const char* kReportFormat = "embtrain-report/1";
// Neighbours listed for a requested token when report.json has none for it
// and its config does not say how many.
constexpr int64_t kDefaultNeighbors = 3;

// NaN sorts as the smallest change, so it never heads "moved most".
double change_of(const TokenRecord& token) {
  return std::isnan(token.change_norm) ? -1.0 : token.change_norm;
}

json token_entry(const TokenRecord& token) {
  json entry = {{"index", token.index},
                {"token", token.token},
                {"count", token.count},
                {"change_norm", number_or_null(token.change_norm)},
                {"cosine", number_or_null(token.cosine)},
                {"changed", token.changed},
                {"batch_steps", token.batch_steps},
                {"grad_steps", token.grad_steps},
                {"why", token.why}};
  if (token.positive_count) entry["positive_count"] = *token.positive_count;
  if (token.dominant_label) entry["dominant_label"] = *token.dominant_label;
  return entry;
}

json neighbor_list(const std::vector<Neighbor>& neighbors) {
  json list = json::array();
  for (const auto& n : neighbors) list.push_back({n.token, number_or_null(n.cosine)});
  return list;
}

// k nearest rows of `m` [V, D] to `row`, itself excluded: [[token, cosine], ...].
json computed_neighbors(const Matrix& m, const std::vector<std::string>& vocab, int64_t row,
                        int64_t k) {
  json list = json::array();
  for (const auto& [other, score] : nearest_rows(m, row_norms(m), row, k)) {
    list.push_back({vocab[static_cast<size_t>(other)], score});
  }
  return list;
}

// detail["neighbors"]: from report.json, else computed from the rows when the report holds
// them all, else null with a note.
void add_neighbors(const ReportView& report, const std::string& name, json* detail) {
  const auto listed = report.neighbors.find(name);
  if (listed != report.neighbors.end()) {
    (*detail)["neighbors"] = {{"before", neighbor_list(listed->second.before)},
                              {"after", neighbor_list(listed->second.after)},
                              {"source", "report"}};
    return;
  }
  const auto position = std::find(report.vocab.begin(), report.vocab.end(), name);
  if (!report.complete.value_or(false) || position == report.vocab.end()) {
    (*detail)["neighbors"] = nullptr;
    (*detail)["neighbors_note"] =
        "report.json lists no neighbours for this token, and the report does not hold every row";
    return;
  }
  const int64_t k = report.run.report_neighbors.value_or(0) > 0 ? *report.run.report_neighbors
                                                                : kDefaultNeighbors;
  const int64_t row = position - report.vocab.begin();
  (*detail)["neighbors"] = {
      {"before", computed_neighbors(report.before_matrix(), report.vocab, row, k)},
      {"after", computed_neighbors(report.after_matrix(), report.vocab, row, k)},
      {"source", "computed"}};
}

json describe_token(const ReportView& report, const std::string& name) {
  json detail = {{"token", name}};
  const auto found = std::find_if(report.tokens.begin(), report.tokens.end(),
                                  [&](const TokenRecord& t) { return t.token == name; });
  if (found == report.tokens.end()) {
    detail["found"] = false;
    detail["reason"] =
        report.complete.value_or(false)
            ? "not in the vocabulary"
            : "not among the " + std::to_string(report.tokens.size()) +
                  " rows this bounded report keeps (list it in report.tokens to keep it)";
    return detail;
  }
  detail["found"] = true;
  detail.update(token_entry(*found));
  add_neighbors(report, name, &detail);
  return detail;
}

// Token indices by change, largest first (ties: lower index first).
std::vector<size_t> by_change(const std::vector<TokenRecord>& tokens) {
  std::vector<size_t> order(tokens.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return change_of(tokens[a]) > change_of(tokens[b]); });
  return order;
}

// Moved most: the rows that moved, by change, largest first. Moved least: the same from the
// other end (rows that never moved are under "unchanged").
void moved_lists(const ReportView& report, const std::vector<size_t>& order, size_t top, json* most,
                 json* least) {
  *most = json::array();
  *least = json::array();
  for (size_t i = 0; i < order.size() && most->size() < top; ++i) {
    if (!report.tokens[order[i]].changed) break;
    most->push_back(token_entry(report.tokens[order[i]]));
  }
  for (size_t i = order.size(); i-- > 0 && least->size() < top;) {
    if (report.tokens[order[i]].changed) least->push_back(token_entry(report.tokens[order[i]]));
  }
}

// {"count", "by_reason": {key: {"count", "why", "examples"}}}: rows that never changed, by why.
json unchanged_groups(const ReportView& report, const std::vector<size_t>& order, size_t top) {
  const StepHistory histories[] = {StepHistory::never_in_batch, StepHistory::zero_gradient,
                                   StepHistory::had_gradient};
  int64_t counts[3] = {0, 0, 0};
  json examples[3] = {json::array(), json::array(), json::array()};
  int64_t unchanged = 0;
  for (const size_t i : order) {
    const TokenRecord& token = report.tokens[i];
    if (token.changed) continue;
    ++unchanged;
    const auto group = static_cast<size_t>(step_history(token.batch_steps, token.grad_steps));
    ++counts[group];
    if (examples[group].size() < top) examples[group].push_back(token.token);
  }
  json by_reason = json::object();
  for (size_t g = 0; g < 3; ++g) {
    by_reason[unchanged_key(histories[g])] = {
        {"count", counts[g]}, {"why", unchanged_why(histories[g])}, {"examples", examples[g]}};
  }
  return {{"count", unchanged}, {"by_reason", by_reason}};
}

json pairs_json(const std::vector<PairRecord>& pairs) {
  json out = json::array();
  for (const auto& pair : pairs) {
    json entry = {{"a", pair.a}, {"b", pair.b}};
    if (pair.missing) {
      entry["missing"] = *pair.missing;
    } else {
      const double before = pair.cosine_before, after = pair.cosine_after;
      entry["cosine_before"] = number_or_null(before);
      entry["cosine_after"] = number_or_null(after);
      entry["change"] =
          std::isnan(before) || std::isnan(after) ? json(nullptr) : json(after - before);
      entry["direction"] = after > before ? "closer" : after < before ? "further" : "unchanged";
    }
    out.push_back(entry);
  }
  return out;
}

}  // namespace

json inspect_report(const json& report, const InspectOptions& options) {
  return inspect_view(view_report(report), options);
}

json inspect_view(const ReportView& report, const InspectOptions& options) {
  const size_t top = static_cast<size_t>(std::max<int64_t>(options.top, 0));
  const std::vector<size_t> order = by_change(report.tokens);
  json moved_most, moved_least;
  moved_lists(report, order, top, &moved_most, &moved_least);
  json details = json::object();
  for (const auto& name : options.tokens) details[name] = describe_token(report, name);
  return {{"state", to_json(report.state)},
          {"summary", to_json(report.summary)},
          {"metrics", to_json(report.metrics)},
          {"complete", report.complete.value_or(true)},
          {"rows_listed", report.tokens.size()},
          {"moved_most", moved_most},
          {"moved_least", moved_least},
          {"unchanged", unchanged_groups(report, order, top)},
          {"pairs", pairs_json(report.pairs)},
          {"tokens", details}};
}

std::string display_token(const std::string& token) {
  bool plain = !token.empty();
  for (const unsigned char c : token) plain = plain && c > ' ' && c != 0x7F;
  return plain ? token : json(token).dump();
}

json read_report(const std::string& run_dir_or_report) {
  namespace fs = std::filesystem;
  std::error_code error;
  // A run folder (or anything that is not a file) goes through RunDir, which owns "not a run".
  const std::string path = fs::is_regular_file(run_dir_or_report, error)
                               ? run_dir_or_report
                               : RunDir::open_finished(run_dir_or_report).file(run_file::report);
  json report;
  try {
    report = json::parse(read_file(path));
  } catch (const json::exception& e) {  // parse_error, or out_of_range for huge numbers
    throw Error::runtime("'" + path + "' is not valid JSON: " + e.what());
  }
  if (!report.is_object() || report.value("format", json(nullptr)) != json(kReportFormat)) {
    throw Error::runtime("'" + path + "' is not an embtrain report (expected \"format\": \"" +
                         kReportFormat + "\")");
  }
  return report;
}

}  // namespace embtrain
