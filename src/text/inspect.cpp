// inspect.cpp — inspect_report and read_report: what changed in a run, from report.json.
//
// Everything here reads the JSON a run wrote; nothing is recomputed from the
// model. The one computation is the cosine neighbours of a requested token
// when report.json has none for it (only possible when the report is complete,
// i.e. holds every row of the embedding).
#include "embtrain/text/inspect.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>

#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/text/report.h"

namespace embtrain {
namespace {

using nlohmann::json;

constexpr const char* kReportFormat = "embtrain-report/1";
// Neighbours listed for a requested token when report.json has none for it
// and its config does not say how many.
constexpr int64_t kDefaultNeighbors = 3;

// A number field, or NaN when it is missing or null (NaN is written as null).
double number(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::numeric_limits<double>::quiet_NaN();
  return it->get<double>();
}

int64_t integer(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// NaN sorts as the smallest change, so it never heads "moved most".
double change_of(const json& token) {
  const double change = number(token, "change_norm");
  return std::isnan(change) ? -1.0 : change;
}

json token_entry(const json& token) {
  json entry = {{"index", integer(token, "index")},
                {"token", token.value("token", std::string())},
                {"count", integer(token, "count")},
                {"change_norm", token.value("change_norm", json(nullptr))},
                {"cosine", token.value("cosine", json(nullptr))},
                {"changed", token.value("changed", false)},
                {"batch_steps", integer(token, "batch_steps")},
                {"grad_steps", integer(token, "grad_steps")},
                {"why", token.value("why", std::string())}};
  if (token.contains("positive_count")) entry["positive_count"] = token["positive_count"];
  return entry;
}

// Rows of a report's `before` or `after` as a dense float matrix.
std::vector<float> dense_rows(const json& rows, int64_t dim) {
  std::vector<float> values;
  values.reserve(rows.size() * static_cast<size_t>(dim));
  for (const auto& row : rows) {
    if (!row.is_array() || static_cast<int64_t>(row.size()) != dim) {
      throw Error::runtime("report rows have inconsistent widths");
    }
    for (const auto& value : row) values.push_back(value.is_number() ? value.get<float>() : 0.0f);
  }
  return values;
}

// k nearest rows of `matrix` to row `row` by cosine, itself excluded: [[token, cosine], ...].
json cosine_neighbors(const std::vector<float>& matrix, int64_t dim, const json& vocab, int64_t row,
                      int64_t k) {
  const int64_t rows = static_cast<int64_t>(vocab.size());
  std::vector<std::pair<float, int64_t>> scored;
  for (int64_t other = 0; other < rows; ++other) {
    if (other == row) continue;
    scored.emplace_back(cosine(matrix.data() + row * dim, matrix.data() + other * dim, dim), other);
  }
  const auto top = std::min<size_t>(static_cast<size_t>(std::max<int64_t>(k, 0)), scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(top), scored.end(),
                    [](const auto& a, const auto& b) {
                      return a.first > b.first || (a.first == b.first && a.second < b.second);
                    });
  json result = json::array();
  for (size_t i = 0; i < top; ++i) {
    result.push_back({vocab[static_cast<size_t>(scored[i].second)], scored[i].first});
  }
  return result;
}

json describe_token(const json& report, const std::string& name) {
  const json& tokens = report["tokens"];
  const bool complete = report.value("complete", false);
  json detail = {{"token", name}};
  const auto found = std::find_if(tokens.begin(), tokens.end(), [&](const json& t) {
    return t.value("token", std::string()) == name;
  });
  if (found == tokens.end()) {
    detail["found"] = false;
    detail["reason"] =
        complete ? "not in the vocabulary"
                 : "not among the " + std::to_string(tokens.size()) +
                       " rows this bounded report keeps (list it in report.tokens to keep it)";
    return detail;
  }
  detail["found"] = true;
  detail.update(token_entry(*found));

  const json& neighbors = report.value("neighbors", json::object());
  if (neighbors.is_object() && neighbors.contains(name)) {
    detail["neighbors"] = {{"before", neighbors[name].value("before", json::array())},
                           {"after", neighbors[name].value("after", json::array())},
                           {"source", "report"}};
    return detail;
  }
  const json& vocab = report.value("vocab", json::array());
  const json& before = report.value("before", json::array());
  const json& after = report.value("after", json::array());
  const auto position = std::find(vocab.begin(), vocab.end(), json(name));
  if (!complete || position == vocab.end() || before.size() != vocab.size() ||
      after.size() != vocab.size() || vocab.empty()) {
    detail["neighbors"] = nullptr;
    detail["neighbors_note"] =
        "report.json lists no neighbours for this token, and the report does not hold every row";
    return detail;
  }
  int64_t k = kDefaultNeighbors;
  if (report.contains("config") && report["config"].contains("report")) {
    const json& configured = report["config"]["report"].value("neighbors", json(nullptr));
    if (configured.is_number_integer() && configured.get<int64_t>() > 0) k = configured.get<int64_t>();
  }
  const int64_t dim = static_cast<int64_t>(before.front().size());
  const int64_t row = position - vocab.begin();
  detail["neighbors"] = {
      {"before", cosine_neighbors(dense_rows(before, dim), dim, vocab, row, k)},
      {"after", cosine_neighbors(dense_rows(after, dim), dim, vocab, row, k)},
      {"source", "computed"}};
  return detail;
}

}  // namespace

json inspect_report(const json& report, const InspectOptions& options) {
  if (!report.is_object() || !report.contains("tokens") || !report["tokens"].is_array()) {
    throw Error::runtime("not an embtrain report: no 'tokens' list");
  }
  const json& tokens = report["tokens"];
  const size_t top = static_cast<size_t>(std::max<int64_t>(options.top, 0));

  // Moved most: every listed row by change, largest first (ties: lower index first).
  std::vector<size_t> order(tokens.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return change_of(tokens[a]) > change_of(tokens[b]);
  });
  json moved_most = json::array();
  for (size_t i = 0; i < order.size() && moved_most.size() < top; ++i) {
    if (!tokens[order[i]].value("changed", false)) break;
    moved_most.push_back(token_entry(tokens[order[i]]));
  }
  // Moved least: among the rows that moved at all (the rest are under "unchanged").
  json moved_least = json::array();
  for (size_t i = order.size(); i-- > 0 && moved_least.size() < top;) {
    if (tokens[order[i]].value("changed", false)) moved_least.push_back(token_entry(tokens[order[i]]));
  }

  // Rows that never changed, grouped by why.
  struct Group {
    const char* key;
    const char* why;
    int64_t count = 0;
    json examples = json::array();
  };
  Group groups[] = {
      {"never_in_batch", "never in a batch: no step ever selected the row"},
      {"zero_gradient",
       "in batches, but the gradient was always zero (the final ReLU clamped every example it "
       "was in)"},
      {"updates_cancelled", "had a non-zero gradient, but the updates cancelled out"}};
  int64_t unchanged = 0;
  for (const size_t i : order) {
    const json& token = tokens[i];
    if (token.value("changed", false)) continue;
    ++unchanged;
    Group& group = integer(token, "batch_steps") == 0 ? groups[0]
                   : integer(token, "grad_steps") == 0 ? groups[1]
                                                       : groups[2];
    ++group.count;
    if (group.examples.size() < top) group.examples.push_back(token.value("token", std::string()));
  }
  json by_reason = json::object();
  for (auto& group : groups) {
    by_reason[group.key] = {{"count", group.count}, {"why", group.why}, {"examples", group.examples}};
  }

  json pairs = json::array();
  for (const auto& pair : report.value("pairs", json::array())) {
    json entry = {{"a", pair.value("a", std::string())}, {"b", pair.value("b", std::string())}};
    if (pair.contains("missing")) {
      entry["missing"] = pair["missing"];
    } else {
      const double before = number(pair, "cosine_before");
      const double after = number(pair, "cosine_after");
      entry["cosine_before"] = pair.value("cosine_before", json(nullptr));
      entry["cosine_after"] = pair.value("cosine_after", json(nullptr));
      entry["change"] = std::isnan(before) || std::isnan(after) ? json(nullptr) : json(after - before);
      entry["direction"] = after > before ? "closer" : after < before ? "further" : "unchanged";
    }
    pairs.push_back(entry);
  }

  json details = json::object();
  for (const auto& name : options.tokens) details[name] = describe_token(report, name);

  return {{"summary", report.value("summary", json::object())},
          {"metrics", report.value("metrics", json::object())},
          {"complete", report.value("complete", true)},
          {"rows_listed", tokens.size()},
          {"moved_most", moved_most},
          {"moved_least", moved_least},
          {"unchanged", {{"count", unchanged}, {"by_reason", by_reason}}},
          {"pairs", pairs},
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
