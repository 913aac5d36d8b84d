// tune.cpp — the search space, TPE sampler and median pruning of `embtrain tune` (tune.h).
#include "embtrain/text/tune.h"

#include "embtrain/text/metrics.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <map>
#include <sstream>

#include "embtrain/text/config_keys.h"
#include "embtrain/text/error.h"

namespace embtrain {
namespace {

using nlohmann::json;
// The key table says which keys are paths and lists (they are not tuned) and which integers.
using schema::Key;
using schema::KeyKind;
using schema::keys;

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t");
  const auto last = s.find_last_not_of(" \t");
  return first == std::string::npos ? "" : s.substr(first, last - first + 1);
}

std::vector<std::string> split_commas(const std::string& inner) {
  std::vector<std::string> parts;
  std::stringstream in(inner);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(trim(part));
  return parts;
}

double number_in(const std::string& text, const std::string& argument) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value)) {
    throw Error::usage("--search '" + argument + "': '" + text + "' is not a number");
  }
  return value;
}

const Key* find_key(const std::string& name) {
  for (const auto& key : keys()) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

bool is_log(SearchKey::Kind kind) { return kind == SearchKey::Kind::loguniform || kind == SearchKey::Kind::loginteger; }
bool is_integer(SearchKey::Kind kind) { return kind == SearchKey::Kind::integer || kind == SearchKey::Kind::loginteger; }

// A numeric key's value in the space the sampler works in (log for log ranges).
double to_internal(const SearchKey& k, double v) { return is_log(k.kind) ? std::log(v) : v; }
json from_internal(const SearchKey& k, double x) {
  const double lo = to_internal(k, k.low), hi = to_internal(k, k.high);
  x = std::clamp(x, lo, hi);
  double v = is_log(k.kind) ? std::exp(x) : x;
  if (is_integer(k.kind)) return json(static_cast<int64_t>(std::llround(std::clamp(v, k.low, k.high))));
  return json(std::clamp(v, k.low, k.high));
}

json random_value(const SearchKey& k, std::mt19937_64& rng) {
  if (k.kind == SearchKey::Kind::choice) {
    return k.choices[std::uniform_int_distribution<size_t>(0, k.choices.size() - 1)(rng)];
  }
  const double lo = to_internal(k, is_integer(k.kind) ? k.low - 0.4999 : k.low);
  const double hi = to_internal(k, is_integer(k.kind) ? k.high + 0.4999 : k.high);
  return from_internal(k, std::uniform_real_distribution<double>(lo, hi)(rng));
}

// A Parzen mixture over `points` (internal space) with one Gaussian each, bandwidth from the
// spread of the points (Scott's rule), plus a wide prior over the range.
struct Parzen {
  std::vector<double> points;
  double lo = 0, hi = 1, width = 1;

  Parzen(std::vector<double> p, double low, double high) : points(std::move(p)), lo(low), hi(high) {
    const double range = std::max(hi - lo, 1e-12);
    width = points.size() > 1 ? range / std::pow(static_cast<double>(points.size()), 0.2) / 2.0 : range / 2.0;
  }
  double density(double x) const {
    double sum = 1.0 / (hi - lo + 1e-12);  // the prior: uniform over the range
    for (const double p : points) sum += std::exp(-0.5 * std::pow((x - p) / width, 2)) / (width * std::sqrt(2 * M_PI));
    return sum / static_cast<double>(points.size() + 1);
  }
  double sample(std::mt19937_64& rng) const {
    const auto pick = std::uniform_int_distribution<size_t>(0, points.size())(rng);
    if (pick == points.size()) return std::uniform_real_distribution<double>(lo, hi)(rng);
    return std::clamp(std::normal_distribution<double>(points[pick], width)(rng), lo, hi);
  }
};

json tpe_value(const SearchKey& k, const std::vector<const Trial*>& good, const std::vector<const Trial*>& bad,
               std::mt19937_64& rng) {
  if (k.kind == SearchKey::Kind::choice) {
    // Each choice weighted by (count in good + 1) / (count in bad + 1).
    std::vector<double> weight(k.choices.size());
    for (size_t c = 0; c < k.choices.size(); ++c) {
      double g = 1, b = 1;
      for (const auto* t : good) g += t->params.value(k.key, json()) == k.choices[c];
      for (const auto* t : bad) b += t->params.value(k.key, json()) == k.choices[c];
      weight[c] = (g / static_cast<double>(good.size() + k.choices.size())) /
                  (b / static_cast<double>(bad.size() + k.choices.size()));
    }
    return k.choices[static_cast<size_t>(std::max_element(weight.begin(), weight.end()) - weight.begin())];
  }
  const auto values = [&](const std::vector<const Trial*>& trials) {
    std::vector<double> out;
    for (const auto* t : trials) {
      if (t->params.contains(k.key) && t->params[k.key].is_number()) out.push_back(to_internal(k, t->params[k.key].get<double>()));
    }
    return out;
  };
  const double lo = to_internal(k, k.low), hi = to_internal(k, k.high);
  const Parzen l(values(good), lo, hi), g(values(bad), lo, hi);
  double best_x = lo, best_score = -1;
  for (int64_t i = 0; i < kCandidates; ++i) {
    const double x = l.sample(rng);
    const double score = l.density(x) / g.density(x);
    if (score > best_score) best_score = score, best_x = x;
  }
  return from_internal(k, best_x);
}

bool better(const TuneMetric& m, double a, double b) { return m.maximise ? a > b : a < b; }

}  // namespace

std::string untunable_reason(const std::string& key) {
  const Key* found = find_key(key);
  if (found == nullptr) return "it is not a config key (embtrain keys lists them)";
  if (found->kind == KeyKind::path) return "it names a file or folder";
  static const std::set<std::string> fixed = {"train.device", "train.threads", "train.seed", "train.dist_timeout",
                                              "train.checkpoint_every", "train.early_stopping", "model.objective",
                                              "data.skip_bad_lines", "data.labels", "data.label_names"};
  if (fixed.count(key)) return "it does not change what a trial learns, or fixes what the search compares";
  if (found->kind == KeyKind::text_list || found->kind == KeyKind::pair_list || key.rfind("report.", 0) == 0) {
    return "it shapes the report, not the model";
  }
  return "";
}

SearchKey parse_search(const std::string& argument) {
  const auto eq = argument.find('=');
  if (eq == std::string::npos) {
    throw Error::usage("--search '" + argument + "': expected KEY=SPEC, e.g. --search train.lr=loguniform(1e-4,1e-1)");
  }
  SearchKey k;
  k.key = trim(argument.substr(0, eq));
  k.spec = trim(argument.substr(eq + 1));
  if (const std::string why = untunable_reason(k.key); !why.empty()) {
    throw Error::usage("--search '" + argument + "': " + k.key + " cannot be tuned: " + why);
  }
  const auto open = k.spec.find('(');
  if (open == std::string::npos || k.spec.back() != ')') {
    throw Error::usage("--search '" + argument + "': expected loguniform(a,b), uniform(a,b), int(a,b), logint(a,b) or choice(v,...)");
  }
  const std::string name = k.spec.substr(0, open);
  const auto parts = split_commas(k.spec.substr(open + 1, k.spec.size() - open - 2));
  if (name == "choice") {
    k.kind = SearchKey::Kind::choice;
    for (const auto& part : parts) {
      if (part.empty()) throw Error::usage("--search '" + argument + "': an empty choice");
      k.choices.push_back(json::accept(part) ? json::parse(part) : json(part));
    }
    if (k.choices.empty()) throw Error::usage("--search '" + argument + "': choice() needs at least one value");
    return k;
  }
  const std::map<std::string, SearchKey::Kind> kinds = {{"uniform", SearchKey::Kind::uniform},
                                                        {"loguniform", SearchKey::Kind::loguniform},
                                                        {"int", SearchKey::Kind::integer},
                                                        {"logint", SearchKey::Kind::loginteger}};
  const auto kind = kinds.find(name);
  if (kind == kinds.end()) {
    throw Error::usage("--search '" + argument + "': unknown distribution '" + name +
                       "' (loguniform, uniform, int, logint, choice)");
  }
  k.kind = kind->second;
  if (parts.size() != 2) throw Error::usage("--search '" + argument + "': " + name + "(a,b) takes two bounds");
  k.low = number_in(parts[0], argument);
  k.high = number_in(parts[1], argument);
  if (!(k.low < k.high)) throw Error::usage("--search '" + argument + "': the range is empty or inverted (a must be < b)");
  if (is_log(k.kind) && k.low <= 0) throw Error::usage("--search '" + argument + "': a log range needs a > 0");
  if (is_integer(k.kind) && (k.low != std::floor(k.low) || k.high != std::floor(k.high))) {
    throw Error::usage("--search '" + argument + "': int bounds must be whole numbers");
  }
  if (find_key(k.key)->kind == KeyKind::integer && !is_integer(k.kind)) {
    throw Error::usage("--search '" + argument + "': " + k.key + " is an integer key: use int(a,b) or logint(a,b)");
  }
  return k;
}

std::vector<SearchKey> default_space(const std::string& objective) {
  if (objective == "skipgram" || objective == "cbow") {
    return {parse_search("train.lr=loguniform(1e-3,5e-2)"), parse_search("train.epochs=int(1,10)"),
            parse_search("model.window=int(2,10)"), parse_search("model.negative=int(2,15)"),
            parse_search("vocab.sample=loguniform(1e-5,1e-2)")};
  }
  return {parse_search("train.lr=loguniform(1e-3,1e-1)"), parse_search("train.epochs=int(1,20)"),
          parse_search("model.embedding_dim=choice(16,32,64,128)"), parse_search("vocab.word_ngrams=int(1,3)"),
          parse_search("vocab.min_count=int(1,5)")};
}

// precision_at_recall:P's level as metrics.h keys it: P a fraction (0.3) or, as fastText writes
// it, a percentage (30), on the levels metrics report (multiples of 5%).
std::string recall_of(const std::string& name) {
  const std::string value = name.substr(name.find(':') + 1);
  const std::string fix = "; write a recall level in (0, 1] that is a multiple of 0.05, e.g. precision_at_recall:0.3 "
                          "(or fastText's percentage, precision_at_recall:30)";
  double level = 0;
  size_t used = 0;
  try {
    level = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (value.empty() || used != value.size() || !std::isfinite(level)) {
    throw Error::usage("--metric " + name + ": '" + value + "' is not a number" + fix);
  }
  if (level > 1) level /= 100;
  for (int i = 0; i < kRecallLevels; ++i) {
    if (std::abs(level - recall_level(i)) < 1e-9) return recall_key(i);
  }
  throw Error::usage("--metric " + name + ": recall " + value + " is not one of the levels the valid metrics report" + fix);
}

TuneMetric parse_metric(const std::string& name, const std::string& objective) {
  const bool words = objective == "skipgram" || objective == "cbow";
  if (words && (name == "spearman" || name == "similarity")) return {"spearman", true, ""};
  if (!words && (name == "accuracy" || name == "f1" || name == "macro_f1")) return {name, true, ""};
  if (!words && name == "loss") return {"loss", false, ""};
  if (!words && name.rfind("f1:", 0) == 0) {
    if (name.size() == 3) throw Error::usage("--metric f1:LABEL needs a label after 'f1:', e.g. f1:spam");
    return {name, true, name.substr(3)};
  }
  if (!words && name.rfind("precision_at_recall:", 0) == 0) {
    const std::string level = recall_of(name);
    return {"precision_at_recall:" + level, true, level};
  }
  throw Error::usage("--metric '" + name + "' is not a metric of model.objective '" + objective + "': use " +
                     (words ? "similarity (data.valid is a pairs file)"
                            : "accuracy, f1, macro_f1, f1:LABEL, precision_at_recall:P or loss"));
}

std::optional<double> metric_value(const json& valid, const TuneMetric& metric, std::string& why) {
  if (metric.label.empty()) {
    if (!valid.contains(metric.name) || !valid[metric.name].is_number()) {
      why = "no valid " + metric.name;
      return std::nullopt;
    }
    return valid[metric.name].get<double>();
  }
  if (metric.name.rfind("precision_at_recall:", 0) == 0) {
    const json curve = valid.value("precision_at_recall", json::object());
    if (!curve.contains(metric.label) || !curve[metric.label].is_number()) {
      why = "no valid precision at recall " + metric.label;
      return std::nullopt;
    }
    return curve[metric.label].get<double>();
  }
  const json labels = valid.value("per_label", json::object());
  if (!labels.contains(metric.label)) {
    std::string names;
    for (const auto& item : labels.items()) names += (names.empty() ? "" : ", ") + item.key();
    why = "no label '" + metric.label + "' in the valid metrics (labels: " + (names.empty() ? "none" : names) + ")";
    return std::nullopt;
  }
  return labels[metric.label].at("f1").get<double>();
}

const Trial* best_trial(const std::vector<Trial>& done, const TuneMetric& metric) {
  const Trial* best = nullptr;
  for (const auto& t : done) {
    const auto value = t.result();
    if (value && (!best || better(metric, *value, *best->result()))) best = &t;
  }
  return best;
}

std::optional<double> Trial::best(const TuneMetric& m) const {
  std::optional<double> out;
  for (const double v : metric) {
    if (!out || better(m, v, *out)) out = v;
  }
  return out;
}

std::optional<double> Trial::result() const {
  if (status != "complete" || metric.empty()) return std::nullopt;
  const auto kept = kept_epoch > 0 && kept_epoch <= static_cast<int64_t>(metric.size())
                        ? static_cast<size_t>(kept_epoch - 1)
                        : metric.size() - 1;
  return metric[kept];
}

json to_json(const Trial& t) {
  json out = {{"trial", t.index}, {"params", t.params}, {"metric", t.metric}, {"seconds", t.seconds}, {"status", t.status}};
  if (t.kept_epoch > 0) out["kept_epoch"] = t.kept_epoch;
  return out;
}

Trial trial_from_json(const std::string& line, const std::string& where) {
  try {
    const json j = json::parse(line);
    Trial t;
    t.index = j.at("trial").get<int64_t>();
    t.params = j.at("params");
    t.metric = j.at("metric").get<std::vector<double>>();
    t.seconds = j.at("seconds").get<double>();
    t.status = j.at("status").get<std::string>();
    t.kept_epoch = j.value("kept_epoch", int64_t{0});
    if (!t.params.is_object()) throw Error::runtime("params is not an object");
    return t;
  } catch (const std::exception& e) {
    throw Error::runtime(where + ": not a trial record (" + json_error_text(e) +
                         "); remove the line, or start the search again without --resume");
  }
}

json next_params(const std::vector<SearchKey>& space, const std::vector<Trial>& done, const TuneMetric& metric,
                 uint64_t seed, int64_t index) {
  std::mt19937_64 rng(seed * 1000003ULL + static_cast<uint64_t>(index));
  std::vector<const Trial*> scored;
  for (const auto& t : done) {
    if (t.best(metric)) scored.push_back(&t);
  }
  json params = json::object();
  if (static_cast<int64_t>(scored.size()) < kStartupTrials) {
    for (const auto& k : space) params[k.key] = random_value(k, rng);
    return params;
  }
  std::stable_sort(scored.begin(), scored.end(), [&](const Trial* a, const Trial* b) {
    return better(metric, *a->best(metric), *b->best(metric));
  });
  const auto n_good = std::max<size_t>(1, static_cast<size_t>(std::ceil(0.25 * static_cast<double>(scored.size()))));
  const std::vector<const Trial*> good(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n_good));
  const std::vector<const Trial*> bad(scored.begin() + static_cast<std::ptrdiff_t>(n_good), scored.end());
  for (const auto& k : space) params[k.key] = tpe_value(k, good, bad, rng);
  return params;
}

bool should_prune(const std::vector<Trial>& done, const TuneMetric& metric, int64_t epoch, double value) {
  std::vector<double> at_epoch;
  for (const auto& t : done) {
    if (static_cast<int64_t>(t.metric.size()) >= epoch) at_epoch.push_back(t.metric[static_cast<size_t>(epoch - 1)]);
  }
  if (static_cast<int64_t>(at_epoch.size()) < kStartupTrials) return false;
  std::sort(at_epoch.begin(), at_epoch.end());
  const size_t n = at_epoch.size();
  const double median = n % 2 ? at_epoch[n / 2] : (at_epoch[n / 2 - 1] + at_epoch[n / 2]) / 2.0;
  return better(metric, median, value);
}

}  // namespace embtrain
