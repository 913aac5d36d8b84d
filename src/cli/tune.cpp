// tune.cpp — `embtrain tune`: hyper-parameters searched on validation data, one `embtrain train`
// child per trial (text/tune.h owns the space, the sampler and the pruning rule).
//
// DIR/ holds tune.json (the search's settings, for --resume), trials.jsonl (a line per trial,
// appended as it ends), trials/NNN/ (the best trial's run folder, or with --keep-runs every
// trial's) and trials/NNN.log (each trial's stderr), best.json
// (a complete config for `embtrain train`), report.html (text/tune_report.h), and best/ when the
// config has data.test: the best config trained once more with the test split, which no trial sees.
// Trials share DIR/cache (data.cache) unless the config names a cache of its own.
// --parallel P runs trials in waves of P. While trials run, a progress line (TuneProgress) shows
// them, the best so far and the budget left.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/tune_child.h"
#include "embtrain/text/config.h"
#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/text/signals.h"
#include "embtrain/text/tune.h"
#include "embtrain/text/tune_report.h"

namespace embtrain::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct TuneOptions {
  ConfigOptions config;
  std::string valid, metric, budget, output_dir = "runs/tune", resume_dir;
  std::vector<std::string> search;
  int64_t trials = 0;
  int64_t parallel = 1;
  int64_t seed = 1;
  bool force = false, json = false, keep_runs = false;
};

// "90", "90s", "10m", "1h" -> seconds; an Error naming the value otherwise.
double budget_seconds(const std::string& text) {
  if (text.empty()) return 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const std::string unit = end;
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (end == text.c_str() || scale < 0 || !(value > 0)) {
    throw Error::usage("--budget '" + text + "': expected a duration such as 90s, 10m or 1h");
  }
  return value * scale;
}

std::string param_text(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

// What one trial's child is given: the tuner's --set overrides, the trial's keys, the valid
// file, and no test split.
std::vector<std::string> trial_overrides(const TuneOptions& o, const std::string& valid, const json& params) {
  std::vector<std::string> sets = o.config.overrides;
  for (const auto& [key, value] : params.items()) sets.push_back(key + "=" + param_text(value));
  sets.push_back("data.valid=" + valid);
  sets.push_back("data.test=");
  return sets;
}

struct Search {
  TuneOptions options;
  Config config;  // the config as given (its objective, its data.test)
  std::string valid, dir;
  std::vector<SearchKey> space;
  TuneMetric metric;
  double budget = 0;
  std::vector<Trial> done;
  int64_t kept_run = -1;  // the trial whose run folder stays (without --keep-runs): the best so far
  Clock::time_point started = Clock::now();
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - started).count(); }
  bool over_budget() const { return budget > 0 && elapsed() >= budget; }
};

json settings_json(const Search& s) {
  json searched = json::array();
  for (const auto& k : s.space) searched.push_back(k.key + "=" + k.spec);
  return {{"config", fs::absolute(s.options.config.config_path).string()}, {"set", s.options.config.overrides},
          {"valid", s.valid}, {"metric", s.metric.name}, {"trials", s.options.trials},
          {"budget", s.options.budget}, {"search", searched}, {"seed", s.options.seed},
          {"parallel", s.options.parallel}, {"keep_runs", s.options.keep_runs}};
}

// `tune --resume DIR`: the settings and the trials so far. A damaged line names file:line.
void load_resumed(TuneOptions& o, std::vector<Trial>& done) {
  const std::string dir = o.resume_dir;
  const std::string settings_path = dir + "/tune.json";
  if (!fs::exists(settings_path)) throw Error::usage("cannot resume '" + dir + "': it has no tune.json (not a tune folder)");
  json settings;
  try {
    settings = json::parse(read_file(settings_path));
    o.config.config_path = settings.at("config").get<std::string>();
    o.config.overrides = settings.at("set").get<std::vector<std::string>>();
    o.valid = settings.at("valid").get<std::string>();
    o.metric = settings.at("metric").get<std::string>();
    if (o.trials == 0) o.trials = settings.at("trials").get<int64_t>();
    if (o.budget.empty()) o.budget = settings.at("budget").get<std::string>();
    o.search = settings.at("search").get<std::vector<std::string>>();
    o.seed = settings.at("seed").get<int64_t>();
    o.parallel = settings.value("parallel", int64_t{1});
    o.keep_runs = o.keep_runs || settings.value("keep_runs", false);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error::runtime(settings_path + " is damaged: " + json_error_text(e) + "; start the search again");
  }
  o.output_dir = dir;
  std::ifstream in(dir + "/trials.jsonl");
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    done.push_back(trial_from_json(line, dir + "/trials.jsonl:" + std::to_string(number)));
    if (done.back().index != static_cast<int64_t>(done.size()) - 1) {
      throw Error::runtime(dir + "/trials.jsonl:" + std::to_string(number) + ": trial " +
                           std::to_string(done.back().index) + " where trial " + std::to_string(done.size() - 1) +
                           " was expected; remove the lines from there on and resume again");
    }
  }
}

volatile std::sig_atomic_t g_signal = 0;
void on_signal(int number) { g_signal = number; }

struct Running;

// What a running search shows between its trials' log lines: on a terminal, one line redrawn
// (at most every 200 ms) with the running trials, the best so far and the budget left;
// elsewhere (a log file, CI) the same as an info line every 10 s, so that a search is never
// silent for long. Off below info level (--quiet).
class TuneProgress {
 public:
  TuneProgress() {
    if (!spdlog::should_log(spdlog::level::info)) mode_ = Mode::off;
    else mode_ = ::isatty(STDERR_FILENO) ? Mode::terminal : Mode::log;
  }
  void show(const Search& s, const std::vector<Running>& wave);
  void clear() {
    if (mode_ == Mode::terminal && shown_) std::cerr << "\r\x1b[K" << std::flush;
    shown_ = false;
  }

 private:
  enum class Mode { off, terminal, log };
  Mode mode_;
  bool shown_ = false;
  Clock::time_point last_{};
};

// One trial's child while it runs.
struct Running {
  Trial trial;
  std::string name, run;
  pid_t pid = 0;
  size_t lines = 0, checked = 0;  // metrics.jsonl lines read; epochs judged by the pruning rule
  bool stopped = false, exited = false;
  int status = 0;
  Clock::time_point started;
};

void start_trial(const Search& s, Running& r, int64_t threads) {
  r.name = fmt::format("{:03d}", r.trial.index);
  r.run = s.dir + "/trials/" + r.name;
  std::vector<std::string> args = {"embtrain", "train", "--config", s.options.config.config_path, "--output-dir",
                                   r.run, "--force", "--quiet"};
  for (const auto& set : trial_overrides(s.options, s.valid, r.trial.params)) {
    args.push_back("--set");
    args.push_back(set);
  }
  if (threads > 0) {  // parallel trials share the cores (any thread count gives the same bits)
    args.push_back("--set");
    args.push_back("train.threads=" + std::to_string(threads));
  }
  if (s.config.data.cache.empty()) {
    // Trials share one encoded corpus per distinct set of data and vocab keys (the cache's key,
    // text/corpus_cache.h): a trial that changes only training keys does not tokenise again.
    args.push_back("--set");
    args.push_back("data.cache=" + s.dir + "/cache");
  }
  fs::remove_all(r.run);
  fs::remove_all(r.run + ".new");
  r.started = Clock::now();
  r.pid = spawn_train(args, s.dir + "/trials/" + r.name + ".log");
}

// One look at a running trial: its new epochs, judged in order by the pruning rule against
// `earlier` (so a trial is pruned at the same epoch however fast its child ran, even one that
// finished meanwhile), and a SIGTERM when it is pruned, over budget or the tuner was signalled.
void poll_trial(const Search& s, Running& r, const std::vector<Trial>& earlier) {
  if (r.exited) return;
  r.exited = ::waitpid(r.pid, &r.status, WNOHANG) == r.pid;
  Trial& trial = r.trial;
  read_new_epochs(r.run + "/metrics.jsonl", s.metric, trial, r.lines);
  while (r.checked < trial.metric.size() && trial.status.empty()) {
    const double value = trial.metric[r.checked++];
    if (should_prune(earlier, s.metric, static_cast<int64_t>(r.checked), value)) trial.status = "pruned";
  }
  if (r.exited) {
    trial.seconds = std::chrono::duration<double>(Clock::now() - r.started).count();
    // Only the epochs up to the decision count: the same ones whatever the timing.
    if (trial.status == "pruned" || trial.status == "budget") trial.metric.resize(std::min(trial.metric.size(), r.checked));
    if (trial.status.empty()) trial.status = WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 ? "complete" : "failed";
    if (trial.status == "complete" && s.config.train.early_stopping != EarlyStopping::off) {
      trial.kept_epoch = kept_epoch_of(r.run + "/report.json");
    }
    return;
  }
  if (!r.stopped && g_signal != 0) trial.status = "interrupted";
  if (!r.stopped && trial.status.empty() && s.over_budget()) {
    // Past the budget a trial stops after its next epoch; the search's first trial without one
    // means the budget cannot hold a single trial (what the search would return is nothing).
    if (!trial.metric.empty()) trial.status = "budget";
    if (trial.metric.empty() && earlier.empty()) trial.status = "too_small";
  }
  if (!r.stopped && !trial.status.empty()) {
    ::kill(r.pid, SIGTERM);  // the child stops at its next step and writes its report so far
    r.stopped = true;
  }
}

void TuneProgress::show(const Search& s, const std::vector<Running>& wave) {
  if (mode_ == Mode::off) return;
  const auto now = Clock::now();
  if (now - last_ < (mode_ == Mode::terminal ? std::chrono::milliseconds(200) : std::chrono::milliseconds(10000))) return;
  if (mode_ == Mode::log && last_ == Clock::time_point{}) {  // the first line after 10 s, not at once
    last_ = now;
    return;
  }
  last_ = now;
  std::string running;
  for (const auto& r : wave) {
    if (r.exited) continue;
    running += fmt::format("{}trial {} epoch {}", running.empty() ? "" : ", ", r.trial.index, r.trial.metric.size() + 1);
  }
  std::string line = "tune: " + (running.empty() ? std::string("finishing") : running);
  if (s.options.trials > 0) line += fmt::format(" (of {})", s.options.trials);
  if (const Trial* best = best_trial(s.done, s.metric)) {
    line += fmt::format(" · best {} {:.4f} (trial {})", s.metric.name, *best->result(), best->index);
  }
  if (s.budget > 0) line += fmt::format(" · {:.0f} s left", std::max(0.0, s.budget - s.elapsed()));
  if (mode_ == Mode::log) {
    spdlog::info("{}", line);
    return;
  }
  std::cerr << "\r" << line << "\x1b[K" << std::flush;
  shown_ = true;
}

// Without --keep-runs only the best complete trial's run folder stays: each trial writes a whole
// run (a 70-trial State of the Union search left 4.7 GB of them), and trials.jsonl keeps every
// trial's metric per epoch, NNN.log its stderr.
void keep_only_best_run(Search& s, int64_t finished) {
  const Trial* best = best_trial(s.done, s.metric);
  const int64_t keep = best ? best->index : -1;
  const auto drop = [&](int64_t index) {
    std::error_code ignored;
    fs::remove_all(fmt::format("{}/trials/{:03d}", s.dir, index), ignored);
  };
  if (finished != keep) drop(finished);
  if (s.kept_run >= 0 && s.kept_run != keep) drop(s.kept_run);
  s.kept_run = keep;
}

// A budget that cannot hold one trial's first epoch: the search would return nothing.
Error budget_too_small(const Search& s, const std::string& what) {
  return Error::usage(fmt::format("--budget {} is too small for one trial: {}; give a longer --budget, or make "
                                  "trials cheaper (fewer data, a smaller model)", s.options.budget, what));
}

// A wave of up to --parallel trials, each drawn and judged against the trials of earlier waves
// only: the same trials whatever finishes first. Returns false when a signal stopped it (its
// trials are not recorded, and --resume runs the wave again).
bool run_wave(Search& s, int64_t count) {
  const std::vector<Trial> earlier = s.done;
  const int64_t parallel = s.options.parallel;
  const int64_t threads = parallel > 1 ? std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency()) / parallel) : 0;
  std::vector<Running> wave(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    Running& r = wave[static_cast<size_t>(i)];
    r.trial.index = static_cast<int64_t>(earlier.size()) + i;
    r.trial.params = next_params(s.space, earlier, s.metric, static_cast<uint64_t>(s.options.seed), r.trial.index);
    start_trial(s, r, threads);
  }
  TuneProgress progress;
  try {
    while (!std::all_of(wave.begin(), wave.end(), [](const Running& r) { return r.exited; })) {
      for (auto& r : wave) poll_trial(s, r, earlier);
      progress.show(s, wave);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    progress.clear();
  } catch (...) {  // no trial outlives the search: stop and reap every child before the error
    progress.clear();
    for (auto& r : wave) {
      if (r.exited) continue;
      ::kill(r.pid, SIGTERM);
      ::waitpid(r.pid, &r.status, 0);
    }
    throw;
  }
  for (auto& r : wave) {
    if (r.trial.status == "interrupted") return false;
  }
  for (auto& r : wave) {
    if (r.trial.status != "too_small") continue;
    throw budget_too_small(s, fmt::format("trial {} had not finished its first epoch when the budget ran out "
                                          "({:.1f} s)", r.name, r.trial.seconds));
  }
  for (auto& r : wave) {
    if (r.trial.status == "failed" && r.trial.index == 0) {
      throw Error::usage("the first trial failed (" + s.dir + "/trials/" + r.name + ".log): " +
                         read_file(s.dir + "/trials/" + r.name + ".log").substr(0, 600));
    }
    append_line(s.dir + "/trials.jsonl", to_json(r.trial).dump());
    s.done.push_back(r.trial);
    if (!s.options.keep_runs) keep_only_best_run(s, r.trial.index);
    // A complete trial's result; a stopped one's best epoch, which no config reproduces.
    const auto result = r.trial.result();
    const auto value = result ? result : r.trial.best(s.metric);
    spdlog::info("trial {}: {} -> {} {}{} ({}, {:.1f} s)", r.trial.index, r.trial.params.dump(), s.metric.name,
                 value ? fmt::format("{:.4f}", *value) : "-", result || !value ? "" : " at its best epoch",
                 r.trial.status, r.trial.seconds);
  }
  return true;
}

void write_best(const Search& s, const Trial& best) {
  const Config config = load_config(s.options.config.config_path, [&] {
    auto sets = trial_overrides(s.options, s.valid, best.params);
    sets.pop_back();  // keep the config's own data.test
    return sets;
  }());
  write_file_atomic(s.dir + "/best.json", to_json(with_absolute_paths(config)).dump(2) + "\n");
}

json summarise(const Search& s) {
  TuneSummary page;
  page.space = s.space;
  page.trials = s.done;
  page.metric = s.metric;
  page.parallel = s.options.parallel;
  page.title = s.options.config.config_path;
  write_file_atomic(s.dir + "/report.html", render_tune_html(page));
  const Trial* best = best_trial(s.done, s.metric);
  json out = {{"output_dir", s.dir}, {"trials", s.done.size()}, {"metric", s.metric.name}, {"seconds", s.elapsed()}};
  if (best == nullptr) return out;
  write_best(s, *best);
  out["best"] = {{"trial", best->index}, {"params", best->params}, {"valid", *best->result()},
                 {"run", fmt::format("{}/trials/{:03d}", s.dir, best->index)}, {"config", s.dir + "/best.json"}};
  if (!s.config.data.test.empty()) {
    // The test split, once, for the best config only.
    spdlog::info("scoring the best config (trial {}) on data.test once: {}/best", best->index, s.dir);
    const pid_t pid = spawn_train({"embtrain", "train", "--config", s.dir + "/best.json", "--output-dir", s.dir + "/best",
                                   "--force", "--quiet"},
                                  s.dir + "/best.log");
    int status = 0;
    ::waitpid(pid, &status, 0);
    const json report = json::parse(read_file(s.dir + "/best/report.json"), nullptr, false);
    if (!report.is_discarded() && report.contains("metrics") && report["metrics"].contains("test")) {
      out["test"] = report["metrics"]["test"];
    }
  }
  return out;
}

void run_tune(TuneOptions o) {
  apply_logging(o.config);
  Search s;
  if (!o.resume_dir.empty()) load_resumed(o, s.done);
  s.config = load_config(o.config.config_path, o.config.overrides);
  const std::string objective = to_string(s.config.model.objective);
  s.valid = !o.valid.empty() ? fs::absolute(o.valid).string() : s.config.data.valid;
  if (s.valid.empty()) throw Error::usage("embtrain tune needs validation data: --valid FILE, or data.valid in the config");
  s.metric = parse_metric(o.metric.empty() ? (is_word_objective(s.config.model.objective) ? "similarity" : "accuracy") : o.metric,
                          objective);
  for (const auto& spec : o.search) s.space.push_back(parse_search(spec));
  if (s.space.empty()) s.space = default_space(objective);
  s.budget = budget_seconds(o.budget);
  if (o.trials == 0 && s.budget == 0) o.trials = 20;
  s.dir = fs::absolute(o.output_dir).lexically_normal().string();
  if (o.resume_dir.empty()) {
    if (fs::exists(s.dir + "/tune.json") && !o.force) {
      throw Error::usage("'" + s.dir + "' holds a search already: --resume " + s.dir + " continues it, --force starts again");
    }
    if (o.force) fs::remove_all(s.dir);
  }
  fs::create_directories(s.dir + "/trials");
  s.options = o;
  if (const Trial* best = best_trial(s.done, s.metric)) s.kept_run = best->index;  // a resumed search's
  write_file_atomic(s.dir + "/tune.json", settings_json(s).dump(2) + "\n");
  if (o.resume_dir.empty()) write_file_atomic(s.dir + "/trials.jsonl", "");
  spdlog::info("tune: {} keys, metric valid {} ({}), {}{}; {} trials done", s.space.size(), s.metric.name,
               s.metric.maximise ? "higher is better" : "lower is better",
               o.trials ? std::to_string(o.trials) + " trials" : "no trial limit",
               s.budget > 0 ? fmt::format(", budget {:.0f} s", s.budget) : "", s.done.size());
  const SignalScope signals(&on_signal);
  while ((o.trials == 0 || static_cast<int64_t>(s.done.size()) < o.trials) && !s.over_budget() && g_signal == 0) {
    const int64_t left = o.trials == 0 ? o.parallel : o.trials - static_cast<int64_t>(s.done.size());
    if (!run_wave(s, std::min(o.parallel, left))) break;
  }
  // On a loaded machine the budget can run out before the first trial starts: the same error.
  if (s.done.empty() && g_signal == 0 && s.over_budget()) {
    throw budget_too_small(s, fmt::format("it ran out ({:.2f} s) before the first trial started", s.elapsed()));
  }
  if (g_signal != 0) spdlog::warn("interrupted: {} trials recorded; continue with embtrain tune --resume {}", s.done.size(), s.dir);
  // Only a complete trial has a result that best.json reproduces.
  if (g_signal == 0 && best_trial(s.done, s.metric) == nullptr && s.over_budget()) {
    throw budget_too_small(s, fmt::format("no trial ran all its epochs before it ran out ({} trials stopped)",
                                          s.done.size()));
  }
  const json summary = summarise(s);
  if (summary.contains("best")) {
    spdlog::info("best: trial {} with valid {} {:.4f}: {} (config: {})", summary["best"]["trial"].get<int64_t>(),
                 s.metric.name, summary["best"]["valid"].get<double>(), summary["best"]["params"].dump(),
                 summary["best"]["config"].get<std::string>());
  }
  if (summary.contains("test")) spdlog::info("test (scored once, after the search): {}", summary["test"].dump());
  if (o.json) std::cout << summary.dump() << std::endl;
  if (g_signal != 0) throw Error::runtime("interrupted by signal " + std::to_string(g_signal));
}

}  // namespace

void setup_tune(CLI::App& app) {
  auto options = std::make_shared<TuneOptions>();
  CLI::App* command = app.add_subcommand(
      "tune", "Search hyper-parameters on validation data (seeded TPE with median pruning), one train per trial");
  add_config_options(*command, options->config, false);
  command->add_option("--valid", options->valid, "Validation data (default: the config's data.valid); never the test split");
  command->add_option("--metric", options->metric, "accuracy | f1 | macro_f1 | f1:LABEL | precision_at_recall:P | loss (classify; LABEL names a label, or 0/1 in a binary run without data.label_names; P a recall level, a multiple of 0.05 such as 0.3, or fastText's 30), similarity (word objectives; data.valid is a pairs file)");
  command->add_option("--trials", options->trials, "Trials to run (default 20 when no --budget)")->check(CLI::NonNegativeNumber);
  command->add_option("--budget", options->budget, "Wall time for the search, e.g. 90s, 10m, 1h (a trial over it stops at its next epoch)");
  command->add_option("--search", options->search,
                      "KEY=SPEC, repeatable: loguniform(a,b), uniform(a,b), int(a,b), logint(a,b), choice(v,...); "
                      "default: a space per objective");
  command->add_option("--parallel", options->parallel,
                      "Trials at once, in waves: each wave is drawn and pruned against the waves before it, so "
                      "the trials do not depend on which finishes first; the cores are split between them")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--seed", options->seed, "The sampler's seed: the same seed and trial budget give the same trials")
      ->capture_default_str();
  command->add_option("-o,--output-dir", options->output_dir, "Where tune.json, trials.jsonl, trials/, best.json, report.html go")
      ->capture_default_str();
  command->add_option("--resume", options->resume_dir, "Continue the search in DIR (its tune.json and trials.jsonl)");
  command->add_flag("--force", options->force, "Replace a search already in --output-dir");
  command->add_flag("--keep-runs", options->keep_runs,
                    "Keep every trial's run folder in DIR/trials/ (default: only the best trial's; trials.jsonl "
                    "holds every trial's metric per epoch, trials/NNN.log its stderr)");
  command->add_flag("--json", options->json, "Print the summary as one JSON object");
  command->footer(
      "Example (valid.txt: lines held out of the training data, never the test split):\n"
      "  embtrain tune --config configs/spam.json --valid valid.txt --trials 30 \\\n"
      "    --search 'train.lr=loguniform(1e-3,1e-1)' --search 'train.epochs=int(2,10)' --output-dir runs/tune-spam\n"
      "  embtrain tune --resume runs/tune-spam --trials 40    # 10 more trials of the same search");
  command->callback([options] {
    if (options->config.config_path.empty() && options->resume_dir.empty()) {
      throw Error::usage("embtrain tune needs --config FILE (or --resume DIR)");
    }
    run_tune(*options);
  });
}

}  // namespace embtrain::cli
