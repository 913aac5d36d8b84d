// report_view.cpp — view_report: report.json's JSON checked and decoded once into a ReportView.
//
// Every field goes through one of the readers below, which know its path ("tokens[3].count")
// and throw Error::runtime naming it when the value has the wrong type or range.
#include "embtrain/text/report_view.h"

#include <cfloat>
#include <limits>
#include <sstream>

#include "embtrain/text/error.h"

namespace embtrain {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& field, const std::string& problem) {
  throw Error::runtime("report.json: '" + field + "' " + problem);
}

std::string at(const std::string& field, size_t i) { return field + "[" + std::to_string(i) + "]"; }
std::string dot(const std::string& field, const char* key) {
  return field.empty() ? key : field + "." + key;
}

// The member `key` of `object`, or nullptr when it is absent.
const json* member(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const json& expect(const json& value, bool ok, const std::string& field, const char* what) {
  if (!ok) fail(field, std::string("must be ") + what + ", not " + value.type_name());
  return value;
}
const json& array_of(const json& value, const std::string& field) {
  return expect(value, value.is_array(), field, "an array");
}
const json& object_of(const json& value, const std::string& field) {
  return expect(value, value.is_object(), field, "an object");
}

int64_t integer(const json& value, const std::string& field) {
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail(field, "is too large: " + value.dump());
    }
    return static_cast<int64_t>(value.get<uint64_t>());
  }
  return expect(value, value.is_number_integer(), field, "an integer").get<int64_t>();
}
int64_t count(const json& value, const std::string& field) {
  const int64_t n = integer(value, field);
  if (n < 0) fail(field, "must not be negative: " + value.dump());
  return n;
}
// A number, or NaN for null (report.json writes NaN as null).
double number(const json& value, const std::string& field) {
  if (value.is_null()) return NAN;
  return expect(value, value.is_number(), field, "a number or null").get<double>();
}
std::string text(const json& value, const std::string& field) {
  return expect(value, value.is_string(), field, "a string").get<std::string>();
}
bool flag(const json& value, const std::string& field) {
  return expect(value, value.is_boolean(), field, "true or false").get<bool>();
}

// The optional member `key` of `object` (at `field`) read by `read`, or `otherwise`.
template <typename Read, typename T>
auto get_or(const json& object, const std::string& field, const char* key, Read read, T otherwise) {
  const json* value = member(object, key);
  return value ? read(*value, dot(field, key)) : otherwise;
}
template <typename Read>
auto get_optional(const json& object, const std::string& field, const char* key, Read read) {
  const json* value = member(object, key);
  using T = decltype(read(*value, field));
  return value ? std::optional<T>(read(*value, dot(field, key))) : std::optional<T>();
}

// `name` as `rows` arrays of one width each, row-major; *dim: that width (from row 0).
std::vector<float> read_block(const json& report, const char* name, size_t rows, int64_t* dim) {
  static const json kEmpty = json::array();
  const json* found = member(report, name);
  const json& block = array_of(found ? *found : kEmpty, name);
  if (block.size() != rows) {
    fail(name,
         "has " + std::to_string(block.size()) + " rows, but 'vocab' has " + std::to_string(rows));
  }
  if (rows > 0 && *dim < 0) *dim = static_cast<int64_t>(array_of(block[0], at(name, 0)).size());
  std::vector<float> values;
  values.reserve(rows * static_cast<size_t>(std::max<int64_t>(*dim, 0)));
  for (size_t r = 0; r < rows; ++r) {
    const std::string field = at(name, r);
    const json& row = array_of(block[r], field);
    if (static_cast<int64_t>(row.size()) != *dim) {
      fail(field, "has " + std::to_string(row.size()) + " values, but rows are " +
                      std::to_string(*dim) + " wide");
    }
    for (size_t d = 0; d < row.size(); ++d) {
      const json& v = expect(row[d], row[d].is_number(), at(field, d), "a number");
      const double value = v.get<double>();
      if (!(std::fabs(value) <= FLT_MAX)) fail(at(field, d), "is beyond float32: " + v.dump());
      values.push_back(static_cast<float>(value));
    }
  }
  return values;
}

void read_rows(const json& report, ReportView* view) {
  if (const json* vocab = member(report, "vocab")) {
    array_of(*vocab, "vocab");
    for (size_t i = 0; i < vocab->size(); ++i)
      view->vocab.push_back(text((*vocab)[i], at("vocab", i)));
  }
  const size_t rows = view->vocab.size();
  if (const json* indices = member(report, "rows")) {
    array_of(*indices, "rows");
    if (indices->size() != rows) {
      fail("rows", "has " + std::to_string(indices->size()) + " entries, but 'vocab' has " +
                       std::to_string(rows));
    }
    for (size_t i = 0; i < rows; ++i) view->rows.push_back(count((*indices)[i], at("rows", i)));
  }
  int64_t dim = -1;
  view->before = read_block(report, "before", rows, &dim);
  view->after = read_block(report, "after", rows, &dim);
  view->diff = read_block(report, "diff", rows, &dim);
  view->dim = std::max<int64_t>(dim, 0);
}

TokenRecord read_token(const json& value, const std::string& field) {
  const json& t = object_of(value, field);
  TokenRecord token;
  token.index = get_or(t, field, "index", count, int64_t{0});
  token.token = get_or(t, field, "token", text, std::string());
  token.count = get_or(t, field, "count", count, int64_t{0});
  token.positive_count = get_optional(t, field, "positive_count", count);
  if (const json* label = member(t, "dominant_label"); label && !label->is_null()) {  // null: never seen
    token.dominant_label = text(*label, dot(field, "dominant_label"));
  }
  token.change_norm = get_or(t, field, "change_norm", number, double(NAN));
  token.cosine = get_or(t, field, "cosine", number, double(NAN));
  token.changed = get_or(t, field, "changed", flag, false);
  token.batch_steps = get_or(t, field, "batch_steps", count, int64_t{0});
  token.grad_steps = get_or(t, field, "grad_steps", count, int64_t{0});
  token.why = get_or(t, field, "why", text, std::string());
  return token;
}

void read_tokens(const json& report, ReportView* view) {
  const json* tokens = member(report, "tokens");
  if (!tokens || !tokens->is_array())
    throw Error::runtime("not an embtrain report: no 'tokens' list");
  if (member(report, "vocab") && tokens->size() != view->vocab.size()) {
    fail("tokens", "has " + std::to_string(tokens->size()) + " entries, but 'vocab' has " +
                       std::to_string(view->vocab.size()));
  }
  for (size_t i = 0; i < tokens->size(); ++i)
    view->tokens.push_back(read_token((*tokens)[i], at("tokens", i)));
}

void read_pairs(const json& report, ReportView* view) {
  const json* pairs = member(report, "pairs");
  if (!pairs) return;
  array_of(*pairs, "pairs");
  for (size_t i = 0; i < pairs->size(); ++i) {
    const std::string field = at("pairs", i);
    const json& p = object_of((*pairs)[i], field);
    PairRecord pair;
    pair.a = get_or(p, field, "a", text, std::string());
    pair.b = get_or(p, field, "b", text, std::string());
    pair.missing = get_optional(p, field, "missing", text);
    pair.cosine_before = get_or(p, field, "cosine_before", number, double(NAN));
    pair.cosine_after = get_or(p, field, "cosine_after", number, double(NAN));
    view->pairs.push_back(std::move(pair));
  }
}

// [[token, cosine], ...]
std::vector<Neighbor> read_neighbor_list(const json& value, const std::string& field) {
  std::vector<Neighbor> list;
  for (size_t i = 0; i < array_of(value, field).size(); ++i) {
    const std::string entry = at(field, i);
    const json& n = array_of(value[i], entry);
    if (n.size() != 2) fail(entry, "must be [token, cosine]");
    list.push_back({text(n[0], at(entry, 0)), number(n[1], at(entry, 1))});
  }
  return list;
}

void read_neighbors(const json& report, ReportView* view) {
  const json* neighbors = member(report, "neighbors");
  if (!neighbors) return;
  for (const auto& [token, lists] : object_of(*neighbors, "neighbors").items()) {
    const std::string field = "neighbors[" + json(token).dump() + "]";
    object_of(lists, field);
    NeighborLists& entry = view->neighbors[token];
    if (const json* before = member(lists, "before"))
      entry.before = read_neighbor_list(*before, field + ".before");
    if (const json* after = member(lists, "after"))
      entry.after = read_neighbor_list(*after, field + ".after");
  }
}

void read_summary(const json& report, ReportView* view) {
  const json* found = member(report, "summary");
  if (!found) return;
  const json& s = object_of(*found, "summary");
  ReportSummary& summary = view->summary;
  summary.rows = get_optional(s, "summary", "rows", count);
  summary.dim = get_optional(s, "summary", "dim", count);
  summary.rows_changed = get_optional(s, "summary", "rows_changed", count);
  summary.rows_unchanged = get_optional(s, "summary", "rows_unchanged", count);
  summary.rows_never_in_batch = get_optional(s, "summary", "rows_never_in_batch", count);
  summary.optimizer_steps = get_optional(s, "summary", "optimizer_steps", count);
  const json* largest = member(s, "largest_change");
  if (largest && !largest->is_null()) {
    const std::string field = "summary.largest_change";
    object_of(*largest, field);
    summary.largest_change =
        ReportSummary::LargestChange{get_or(*largest, field, "token", text, std::string()),
                                     get_or(*largest, field, "change_norm", number, double(NAN))};
  }
}

void read_metrics(const json& report, ReportView* view) {
  const json* metrics = member(report, "metrics");
  if (!metrics) return;
  for (const auto& [split, value] : object_of(*metrics, "metrics").items()) {
    const std::string field = "metrics." + split;
    object_of(value, field);
    SplitMetrics& m = view->metrics[split];
    m.examples = get_optional(value, field, "examples", count);
    m.loss = get_optional(value, field, "loss", number);
    m.accuracy = get_optional(value, field, "accuracy", number);
    m.precision = get_optional(value, field, "precision", number);
    m.recall = get_optional(value, field, "recall", number);
    m.f1 = get_optional(value, field, "f1", number);
    m.p_at_1 = get_optional(value, field, "p_at_1", number);
    m.r_at_1 = get_optional(value, field, "r_at_1", number);
    m.macro_f1 = get_optional(value, field, "macro_f1", number);
    m.spearman = get_optional(value, field, "spearman", number);
    m.pearson = get_optional(value, field, "pearson", number);
    m.pairs = get_optional(value, field, "pairs", count);
  }
}

// config.SECTION as an object, or an empty one when absent.
const json& section(const json& config, const char* name) {
  static const json kEmpty = json::object();
  const json* found = member(config, name);
  return found ? object_of(*found, dot("config", name)) : kEmpty;
}

void read_run(const json& report, ReportView* view) {
  ReportRunInfo& run = view->run;
  static const json kEmpty = json::object();
  const json* found = member(report, "config");
  const json& config = found ? object_of(*found, "config") : kEmpty;
  const json& data = section(config, "data");
  run.data_train = get_or(data, "config.data", "train", text, std::string());
  if (const json* names = member(data, "label_names")) {
    array_of(*names, "config.data.label_names");
    for (size_t i = 0; i < names->size(); ++i) {
      run.label_names.push_back(text((*names)[i], at("config.data.label_names", i)));
    }
  }
  const json& model = section(config, "model");
  run.pooling = get_or(model, "config.model", "pooling", text, std::string());
  run.final_relu = get_optional(model, "config.model", "final_relu", flag);
  const json& train = section(config, "train");
  run.epochs = get_optional(train, "config.train", "epochs", count);
  run.lr = get_optional(train, "config.train", "lr", number);
  run.batch_size = get_optional(train, "config.train", "batch_size", count);
  run.report_neighbors =
      get_optional(section(config, "report"), "config.report", "neighbors", count);
  run.optimizer = get_or(report, "", "optimizer", text, std::string());
  run.device = get_or(report, "", "device", text, std::string());
  run.libtorch_version = get_or(report, "", "libtorch_version", text, std::string());
  run.seed = get_optional(report, "", "seed", integer);
}

// report.json's "state"; an older report's "interrupted" {signal, epoch, step,
// epochs_completed} and "early_stopping" {best_epoch, epochs_run, stopped_early, metric}.
void read_state(const json& report, ReportView* view) {
  RunState& state = view->state;
  state.epochs = view->run.epochs.value_or(0);
  if (const json* given = member(report, "state")) {
    state = run_state_from_json(*given, "report.json: state");
    return;
  }
  if (const json* stop = member(report, "interrupted"); stop && !stop->is_null()) {
    const json& at = object_of(*stop, "interrupted");
    state.status = RunState::Status::interrupted;
    state.signal = get_or(at, "interrupted", "signal", integer, int64_t{0});
    state.at_epoch = get_or(at, "interrupted", "epoch", integer, int64_t{0});
    state.at_step = get_or(at, "interrupted", "step", integer, int64_t{0}) + 1;
    state.epochs_completed = get_or(at, "interrupted", "epochs_completed", integer, int64_t{0});
    state.resumable = true;  // an interrupted run always wrote its checkpoint
  }
  if (const json* early = member(report, "early_stopping"); early && !early->is_null()) {
    const json& e = object_of(*early, "early_stopping");
    state.best_epoch = get_or(e, "early_stopping", "best_epoch", integer, int64_t{0});
    state.best_metric = get_or(e, "early_stopping", "metric", text, std::string());
    if (get_optional(e, "early_stopping", "stopped_early", flag).value_or(false)) {
      state.status = RunState::Status::stopped_early;
      state.epochs_completed = get_or(e, "early_stopping", "epochs_run", integer, int64_t{0});
    }
  }
}

}  // namespace

json number_or_null(double value) { return std::isnan(value) ? json(nullptr) : json(value); }

ReportView view_report(const json& report) {
  if (!report.is_object()) throw Error::runtime("not an embtrain report: no 'tokens' list");
  ReportView view;
  if (const json* labels = member(report, "labels")) {
    array_of(*labels, "labels");
    for (size_t i = 0; i < labels->size(); ++i) view.labels.push_back(text((*labels)[i], at("labels", i)));
  }
  read_rows(report, &view);
  read_tokens(report, &view);
  read_pairs(report, &view);
  read_neighbors(report, &view);
  read_summary(report, &view);
  read_metrics(report, &view);
  view.complete = get_optional(report, "", "complete", flag);
  read_run(report, &view);
  read_state(report, &view);
  return view;
}

json to_json(const ReportSummary& summary) {
  json out = json::object();
  const std::pair<const char*, const std::optional<int64_t>*> counts[] = {
      {"rows", &summary.rows},
      {"dim", &summary.dim},
      {"rows_changed", &summary.rows_changed},
      {"rows_unchanged", &summary.rows_unchanged},
      {"rows_never_in_batch", &summary.rows_never_in_batch},
      {"optimizer_steps", &summary.optimizer_steps}};
  for (const auto& [key, value] : counts) {
    if (*value) out[key] = **value;
  }
  if (summary.largest_change) {
    out["largest_change"] = {{"token", summary.largest_change->token},
                             {"change_norm", number_or_null(summary.largest_change->change_norm)}};
  }
  return out;
}

json to_json(const std::map<std::string, SplitMetrics>& metrics) {
  json out = json::object();
  for (const auto& [split, m] : metrics) {
    json values = json::object();
    if (m.examples) values["examples"] = *m.examples;
    if (m.pairs) values["pairs"] = *m.pairs;
    const std::pair<const char*, const std::optional<double>*> numbers[] = {
        {"loss", &m.loss},
        {"accuracy", &m.accuracy},
        {"precision", &m.precision},
        {"recall", &m.recall},
        {"f1", &m.f1},
        {"p_at_1", &m.p_at_1},
        {"r_at_1", &m.r_at_1},
        {"macro_f1", &m.macro_f1},
        {"spearman", &m.spearman},
        {"pearson", &m.pearson}};
    for (const auto& [key, value] : numbers) {
      if (*value) values[key] = number_or_null(**value);
    }
    out[split] = values;
  }
  return out;
}

std::vector<json> parse_metrics_lines(const std::string& text, const std::string& name) {
  std::vector<json> epochs;
  std::istringstream lines(text);
  std::string line;
  for (int64_t number = 1; std::getline(lines, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json epoch;
    try {
      epoch = json::parse(line);
    } catch (const json::exception&) {  // parse_error, or out_of_range for huge numbers
      epoch = nullptr;
    }
    if (!epoch.is_object()) {
      throw Error::runtime(name + ":" + std::to_string(number) + ": not a JSON object");
    }
    epochs.push_back(std::move(epoch));
  }
  return epochs;
}

}  // namespace embtrain
