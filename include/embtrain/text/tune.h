// tune.h — `embtrain tune`'s search, without processes or torch: the space, the sampler, the
// pruning rule and the trial records.
//
// A space is a list of keys, each with a distribution (`--search KEY=SPEC`):
//   loguniform(a,b)  uniform(a,b)  int(a,b)  logint(a,b)  choice(v1,v2,...)
// Samples are drawn by a seeded sampler: the first kStartupTrials trials at random, then a
// tree-structured Parzen estimator (Bergstra et al., "Algorithms for Hyper-Parameter
// Optimization", NeurIPS 2011; Optuna's default, independent per key): the trials so far are
// split at the best quarter; for each key, kCandidates values drawn from a Parzen mixture around
// the good trials' values are scored by l(x)/g(x) (good over bad density), and the best is taken.
// Trial k's draws come from a generator seeded with (seed, k), so the same seed and the same
// completed trials give the same next trial, whatever the timing.
// Pruning (the median rule of Google Vizier, Golovin et al. 2017): after kStartupTrials trials,
// a trial whose valid metric at epoch e is worse than the median of the earlier trials' metric
// at epoch e is stopped there.
//
// Thread-safety: free functions and value types.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace embtrain {

inline constexpr int64_t kStartupTrials = 5;
inline constexpr int64_t kCandidates = 24;

struct SearchKey {
  enum class Kind { uniform, loguniform, integer, loginteger, choice };
  std::string key;  // a config key, e.g. train.lr
  Kind kind = Kind::uniform;
  double low = 0, high = 0;                 // uniform, loguniform, integer, loginteger
  std::vector<nlohmann::json> choices;      // choice
  std::string spec;                         // as written, for messages and tune.json
};

// "KEY=SPEC" -> a SearchKey; an Error::usage naming the argument for an unknown distribution,
// an empty or inverted range, a non-positive bound of a log range, or a key that cannot be
// tuned (paths, devices, threads, seeds; see tunable_key).
SearchKey parse_search(const std::string& argument);
// Why `key` cannot be searched ("" when it can): unknown keys, and those that name files, the
// device, threads, workers' timeouts, checkpoints or the run's seed.
std::string untunable_reason(const std::string& key);
// The default space of an objective ("classify", "skipgram", "cbow"), as fastText's autotune has one.
std::vector<SearchKey> default_space(const std::string& objective);

// What the search looks at: a metric of the valid split in metrics.jsonl, maximised or not.
struct TuneMetric {
  std::string name;   // accuracy | f1 | loss | macro_f1 | f1:LABEL | precision_at_recall:0.30 | spearman
  bool maximise = true;
  // f1:LABEL's label (a name of data.labels or data.label_names, or 0/1); precision_at_recall's
  // recall level as the metrics key it ("0.30").
  std::string label;
};
// An Error::usage naming the metric when the objective does not have it.
TuneMetric parse_metric(const std::string& name, const std::string& objective);
// The metric in one epoch's "valid" object of metrics.jsonl; nullopt when it is not there
// (f1:LABEL: no such label; the message names the labels there are, in `why`).
std::optional<double> metric_value(const nlohmann::json& valid, const TuneMetric& metric, std::string& why);

struct Trial {
  int64_t index = 0;
  nlohmann::json params = nlohmann::json::object();  // key -> value
  std::vector<double> metric;  // the valid metric per epoch
  double seconds = 0;
  std::string status;          // complete | pruned | budget | failed
  int64_t kept_epoch = 0;      // 1-based: the epoch whose weights the run kept (early stopping); 0: the last
  // Its best epoch's metric: what the sampler and the pruning rule rank trials by.
  std::optional<double> best(const TuneMetric& m) const;
  // Its result: the metric of the weights its run kept (the last epoch's, or early stopping's
  // best epoch's), for a complete trial only. A pruned or budget-stopped trial has none: no
  // config reproduces a model it stopped with (train.lr_schedule runs over all its epochs).
  std::optional<double> result() const;
};

// The complete trial of `done` with the best result (the earliest of equals), or null when no
// trial is complete: what best.json holds, so that training it gives that metric on --valid.
const Trial* best_trial(const std::vector<Trial>& done, const TuneMetric& metric);

nlohmann::json to_json(const Trial& trial);
// One trials.jsonl line; an Error naming `where` (file:line) when it is not a trial.
Trial trial_from_json(const std::string& line, const std::string& where);

// Trial `index`'s parameters, given the trials done so far.
nlohmann::json next_params(const std::vector<SearchKey>& space, const std::vector<Trial>& done,
                           const TuneMetric& metric, uint64_t seed, int64_t index);
// True when a trial at `epoch` (1-based) with `value` should stop (the median rule above).
bool should_prune(const std::vector<Trial>& done, const TuneMetric& metric, int64_t epoch, double value);

}  // namespace embtrain
