// word_objective.cpp — skip-gram and CBOW training and their run folder (word_objective.h).
#include "embtrain/torch/word_objective.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <optional>
#include <sstream>

#include "embtrain/text/error.h"
#include "embtrain/text/fingerprint.h"
#include "embtrain/text/io.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/text/signals.h"
#include "embtrain/text/vectors.h"
#include "embtrain/text/word_eval.h"
#include "embtrain/torch/checkpoint.h"
#include "embtrain/torch/distributed.h"
#include "embtrain/torch/optimizer.h"
#include "embtrain/torch/sgd.h"
#include "embtrain/torch/session.h"
#include "embtrain/torch/sparse_grad.h"
#include "embtrain/torch/threads.h"
#include "embtrain/torch/trainer.h"
#include "embtrain/torch/word_checkpoint.h"
#include "embtrain/torch/word_run.h"
#include "embtrain/torch/word_step.h"

namespace embtrain {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// The lr factor at batch `batch` of `batches` in `epoch`: train.lr_schedule over the run's
// batches (trainer.h's lr_factor; word runs have no warmup), never below 1e-4 (word2vec's floor).
double lr_factor_at(const TrainConfig& train, int64_t epoch, int64_t batch, int64_t batches) {
  return std::max(lr_factor(train, (epoch - 1) * batches + batch, train.epochs * batches), 1e-4);
}

std::unique_ptr<torch::optim::Optimizer> word_optimizer(WordModel& model, const TrainConfig& train) {
  if (train.optimizer == OptimizerKind::sgd) {
    return std::make_unique<Sgd>(model->parameters(), train.lr);
  }
  return std::make_unique<Adam>(model->parameters(), torch::optim::AdamOptions(train.lr));  // sparse rows: SparseAdam
}

// The word vectors as WordVectors (data.valid's similarity each epoch).
WordVectors input_vectors(const WordModel& model, const WordRows& rows, const Vocab& vocab) {
  WordVectors out;
  for (int64_t i = 0; i < vocab.size(); ++i) out.vocab.add(vocab.token(i));
  const torch::Tensor w = word_vectors(model->embedding->weight, rows).contiguous();
  out.dim = w.size(1);
  out.values.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  return out;
}

// After an epoch with a valid score: keeps the tables of the best epoch so far (the first of
// equals), and says when train.patience epochs have passed without a better one.
void track_best(WordRun& run, int64_t epoch, double spearman) {
  if (run.config.train.early_stopping != EarlyStopping::spearman) return;
  auto& best = run.best;
  if (best.epoch == 0 || spearman > best.spearman) {
    torch::NoGradGuard no_grad;
    best.epoch = epoch;
    best.spearman = spearman;
    best.epochs_since = 0;
    best.parameters.clear();
    for (const auto& p : run.model->parameters()) best.parameters.push_back(p.detach().clone());
    return;
  }
  best.stopped_early = ++best.epochs_since >= run.config.train.patience;
}

// The model takes back the best epoch's tables (early stopping), and says so.
void keep_best_epoch(WordRun& run) {
  if (run.best.parameters.empty()) return;
  torch::NoGradGuard no_grad;
  auto parameters = run.model->parameters();
  for (size_t i = 0; i < parameters.size(); ++i) parameters[i].copy_(run.best.parameters[i]);
  spdlog::info("early stopping on valid spearman: keeping epoch {} of {} run{}", run.best.epoch, run.epochs.size(),
               run.best.stopped_early ? " (patience ran out)" : "");
}

// checkpoint.pt for training to go on at batch `step` of `epoch`, whose plan was drawn from
// `epoch_generator`, with the epoch's sums so far.
void save_checkpoint_at(WordRun& run, int64_t epoch, int64_t step, double loss, int64_t pairs,
                        const torch::Tensor& epoch_generator) {
  WordProgress p;
  p.epoch = epoch;
  p.step = step;
  p.steps = run.steps;
  p.epoch_loss = loss;
  p.epoch_pairs = pairs;
  p.epoch_generator = epoch_generator;
  p.generator = run.generator.get_state();
  p.use_input = run.use.input;
  p.use_target = run.use.target;
  p.use_negative = run.use.negative;
  p.metrics_lines = metrics_text(run.epochs);
  p.best_epoch = run.best.epoch;
  p.epochs_since_best = run.best.epochs_since;
  p.best_spearman = run.best.spearman;
  p.stopped_early = run.best.stopped_early;
  p.best_parameters = run.best.parameters;
  save_word_checkpoint(run.run_dir.file(run_file::checkpoint), *run.model, *run.optimizer, p, run.fingerprint);
}

// Tests only: EMBTRAIN_TEST_SIGNAL_AT's signal, right after step `step` of `epoch`.
void test_signal_after(const RunOptions& options, int64_t epoch, int64_t step) {
  const TestSignal& at = options.test_signal;
  if (at.signal == 0 || at.epoch != epoch || at.step != step || !at.fires_in(options.workers)) return;
  for (int64_t i = 0; i < at.times; ++i) std::raise(static_cast<int>(at.signal));
}

// Batch `i` of `batches` in `epoch`: its negatives, one optimizer step, the use counts. Returns
// the batch's summed loss.
double train_batch(WordRun& run, const WordBatch& batch, int64_t epoch, int64_t i, int64_t batches) {
  const Config& config = run.config;
  const auto examples = static_cast<int64_t>(batch.targets.size());
  const torch::Tensor negatives = run.negatives->draw(examples * config.model.negative, run.generator)
                                      .view({examples, config.model.negative});  // [P, N]
  set_lr(*run.optimizer, config.train.lr * lr_factor_at(config.train, epoch, i, batches));
  run.optimizer->zero_grad();
  const bool coalesce = config.train.optimizer != OptimizerKind::sgd;
  double batch_sum = 0;
  if (run.workers) {
    // This worker's slice, one row per use; every slice's uses in rank order are one process's,
    // and SparseAdam's gradient is coalesced from them as one process coalesces: the same bits.
    const auto [lo, hi] = run.workers->slice(examples);
    const BatchSlice layout{lo, examples};
    if (hi > lo) batch_sum = batch_loss(run.model, slice_word_batch(batch, lo, hi), negatives.slice(0, lo, hi), false, &layout);
    std::tie(batch_sum, run.stop_agreed) = run.workers->gather_uses(
        run.model->parameters(), batch_sum, SignalGuard::received() != 0, fmt::format("at epoch {}, step {}", epoch, i + 1));
    if (coalesce) {
      for (auto& table : run.model->parameters()) table.mutable_grad() = coalesced_uses(table.grad(), table.size(0));
    }
  } else {
    batch_sum = batch_loss(run.model, batch, negatives, coalesce);
  }
  if (!std::isfinite(batch_sum)) {
    throw Error::runtime(fmt::format("training diverged at epoch {}, step {}: the loss is {}; lower train.lr", epoch,
                                     i + 1, batch_sum));
  }
  run.optimizer->step();
  ++run.steps;
  for (const int64_t w : batch.inputs) ++run.use.input[static_cast<size_t>(w)];
  for (const int64_t w : batch.targets) ++run.use.target[static_cast<size_t>(w)];
  const auto* n = negatives.data_ptr<int64_t>();
  for (int64_t k = 0; k < negatives.numel(); ++k) ++run.use.negative[static_cast<size_t>(n[k])];
  return batch_sum;
}

// An epoch that trained on no pair says why, once a run: subsampling kept no token, or every
// token it kept is alone on its line (vocab.sample on a small corpus, where every word is frequent).
void warn_if_nothing_trained(WordRun& run, int64_t epoch, int64_t kept, int64_t pairs) {
  if (pairs > 0 || run.warned_idle || !run.writes()) return;
  run.warned_idle = true;
  const double sample = run.config.vocab.sample;
  const std::string what =
      kept == 0 ? fmt::format("subsampling kept none of the {} tokens", run.corpus.tokens())
                : fmt::format("each of the {} tokens subsampling kept (of {}) is alone on its line", kept, run.corpus.tokens());
  const std::string fix = sample > 0 ? fmt::format("vocab.sample {} keeps a word of frequency f with probability "
                                                   "√(t/f) + t/f, and in a text this small every word is frequent: "
                                                   "lower vocab.sample, or set it to 0",
                                                   sample)
                                     : "give lines of two words or more";
  spdlog::warn("epoch {} trained on no (word, context) pair: {}; {}", epoch, what, fix);
}

// The finished epoch's line of metrics.jsonl (and its log line, and the valid score with early
// stopping's bookkeeping), then train.checkpoint_every's checkpoint.
void finish_epoch(WordRun& run, int64_t epoch, double seconds, double loss, int64_t pairs, int64_t kept) {
  const Config& config = run.config;
  json train = {{"loss", pairs ? loss / static_cast<double>(pairs * (1 + config.model.negative)) : 0.0},
                {"examples", pairs},
                {"words", kept},
                {"pairs_per_s", seconds > 0 ? static_cast<double>(pairs) / seconds : 0.0},
                {"words_per_s", seconds > 0 ? static_cast<double>(kept) / seconds : 0.0}};
  run.progress.clear();
  json line = {{"epoch", epoch}, {"seconds", seconds}, {"train", train}};
  std::string log = fmt::format("epoch {}/{}: train loss {:.4f} over {} examples ({:.0f} words/s)", epoch,
                                config.train.epochs, train["loss"].get<double>(), pairs, train["words_per_s"].get<double>());
  if (!config.data.valid.empty()) {
    const SimilarityScore score = score_similarity(input_vectors(run.model, run.rows, run.corpus.vocab), config.data.valid);
    line["valid"] = {{"spearman", score.spearman}, {"pearson", score.pearson}, {"pairs", score.pairs}, {"oov", score.oov}};
    log += fmt::format(", valid Spearman {:.4f} ({} pairs)", score.spearman, score.pairs);
    track_best(run, epoch, score.spearman);
  }
  run.epochs.push_back(line);
  if (run.writes()) append_line(run.run_dir.file(run_file::metrics), line.dump());
  spdlog::info("{}", log);
  const int64_t every = config.train.checkpoint_every;
  if (run.writes() && every > 0 && epoch % every == 0 && epoch < config.train.epochs && !run.best.stopped_early) {
    const torch::Tensor now = run.generator.get_state();
    save_checkpoint_at(run, epoch + 1, 0, 0, 0, now);
  }
}

// One epoch (from `resume`'s step when given); false when a signal stopped it (at a step
// boundary, where a checkpoint is written).
bool train_epoch(WordRun& run, int64_t epoch, const WordProgress* resume) {
  const Config& config = run.config;
  const bool cbow = config.model.objective == Objective::cbow;
  const auto started = Clock::now();
  const torch::Tensor epoch_generator = run.generator.get_state();
  plan_epoch(run.corpus, config, run.keep, run.generator, run.plan);
  const EpochPlan& plan = run.plan;
  const int64_t kept = plan.kept();
  const int64_t batches = (kept + config.train.batch_size - 1) / config.train.batch_size;
  double loss = resume ? resume->epoch_loss : 0;
  int64_t pairs = resume ? resume->epoch_pairs : 0;
  // Mid-epoch, the generator goes on from where the batches had drawn it; at step 0 the plan just
  // drawn leaves it where it was (an epoch-end checkpoint stores the state before the plan).
  if (resume && resume->step > 0) run.generator.set_state(resume->generator);
  for (int64_t i = resume ? resume->step : 0; i < batches; ++i) {
    // Workers stop together, at the step after the one in which any of them was signalled.
    if (run.workers ? run.stop_agreed : SignalGuard::received() != 0) {
      run.signal = SignalGuard::received() != 0 ? SignalGuard::received() : SIGTERM;
      run.stopped_epoch = epoch;
      run.stopped_step = i + 1;
      if (run.writes()) save_checkpoint_at(run, epoch, i, loss, pairs, epoch_generator);
      run.checkpointed = true;
      return false;
    }
    const int64_t begin = i * config.train.batch_size, end = std::min(kept, begin + config.train.batch_size);
    const WordBatch batch = make_word_batch(run.corpus, run.rows, plan, begin, end, cbow);
    if (batch.targets.empty()) continue;
    const double batch_sum = train_batch(run, batch, epoch, i, batches);
    loss += batch_sum;
    pairs += static_cast<int64_t>(batch.targets.size());
    run.progress.step(epoch, i + 1, batches,
                      batch_sum / static_cast<double>(batch.targets.size() * (1 + config.model.negative)));
    test_signal_after(run.options, epoch, i + 1);
  }
  warn_if_nothing_trained(run, epoch, kept, pairs);
  finish_epoch(run, epoch, std::chrono::duration<double>(Clock::now() - started).count(), loss, pairs, kept);
  return true;
}

// train.device for a word run: `auto` is the CPU, whose kernels give PyTorch's bits; CUDA only
// when named, in one process (the workers' exchange is built on CPU tables).
torch::Device word_device(const std::string& name, const WorkerSetup& workers) {
  if (name == "auto") return torch::Device(torch::kCPU);
  const torch::Device device = resolve_device(name);
  if (!device.is_cpu() && workers.distributed()) {
    throw Error::usage("train.device '" + name + "' with several workers: a word run's workers train on the CPU; "
                       "set train.device to cpu, or train on the GPU in one process");
  }
  return device;
}

// A checkpoint's tables and SparseAdam's moments come back on the device they were saved from:
// the run's device takes them (train.device may change on --resume).
void move_to_run_device(WordRun& run) {
  run.model->to(run.device);
  for (auto& entry : run.optimizer->state()) {
    if (auto* adam = dynamic_cast<torch::optim::AdamParamState*>(entry.second.get())) {
      if (adam->exp_avg().defined()) adam->exp_avg(adam->exp_avg().to(run.device));
      if (adam->exp_avg_sq().defined()) adam->exp_avg_sq(adam->exp_avg_sq().to(run.device));
    }
  }
  for (auto& p : run.best.parameters) p = p.to(run.device);
}

// --resume: the run folder's checkpoint, after checking that it belongs to this run; the run
// takes its state. The model and optimizer are built as a new run builds them first.
WordProgress resume_word_run(WordRun& run) {
  const std::string path = run.run_dir.file(run_file::checkpoint);
  if (!std::filesystem::exists(path)) {
    throw Error::usage("cannot resume '" + run.run_dir.path() + "': it has no checkpoint.pt (a word run writes one "
                       "when a signal stops it, and every train.checkpoint_every epochs; a finished run keeps its "
                       "final one only with train.checkpoint_every > 0); train again with --force");
  }
  const std::string differences =
      fingerprint_differences(fingerprint_from_text(read_checkpoint_fingerprint(path)), fingerprint_from_text(run.fingerprint));
  if (!differences.empty()) {
    throw Error::usage("cannot resume '" + run.run_dir.path() + "': the run differs from its checkpoint (" + differences +
                       "); a resume may change only " + keys_a_resume_may_change());
  }
  WordProgress p;
  load_word_checkpoint(path, *run.model, *run.optimizer, p);
  if (p.use_input.size() != run.use.input.size() || p.use_target.size() != run.use.target.size()) {
    throw Error::runtime("cannot resume from '" + path + "': its row counts do not fit this vocabulary");
  }
  run.steps = p.steps;
  run.use = {p.use_input, p.use_target, p.use_negative};
  std::istringstream lines(p.metrics_lines);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) run.epochs.push_back(json::parse(line));
  }
  run.best.epoch = p.best_epoch;
  run.best.epochs_since = p.epochs_since_best;
  run.best.spearman = p.best_spearman;
  run.best.stopped_early = p.stopped_early;
  run.best.parameters = p.best_parameters;
  move_to_run_device(run);
  run.generator.set_state(p.epoch_generator);
  run.extended_from = run.run_dir.extends_finished_run(p.epoch, p.step, run.config.train.epochs);
  if (run.extended_from == 0) {
    spdlog::info("resuming {} at epoch {}, step {} ({} epochs done)", run.run_dir.path(), p.epoch, p.step + 1,
                 run.epochs.size());
  }
  return p;
}

// The model (from the global generator, seeded), the optimizer, the run's generator, the
// sampling tables, the use counts and the fingerprint: what a new run and a resume both build.
void set_up(WordRun& run) {
  const Config& config = run.config;
  const WordCorpus& corpus = run.corpus;
  torch::manual_seed(static_cast<uint64_t>(config.train.seed));
  run.rows = word_rows(corpus, config.vocab);
  run.model = WordModel(run.rows.table_rows, corpus.vocab.size(), config.model.embedding_dim);
  run.model->to(run.device);  // drawn on the CPU first, as the reference draws them
  run.optimizer = word_optimizer(run.model, config.train);
  run.generator.set_current_seed(static_cast<uint64_t>(config.train.seed));
  run.keep = keep_probabilities(corpus, config.vocab.sample);
  run.negatives = std::make_unique<NegativeSampler>(corpus, config.model.ns_exponent);
  const auto rows = static_cast<size_t>(corpus.vocab.size());
  run.use = {std::vector<int64_t>(static_cast<size_t>(run.rows.table_rows), 0), std::vector<int64_t>(rows, 0),
             std::vector<int64_t>(rows, 0)};
  run.fingerprint = to_text(word_fingerprint(config, corpus));
}

// A finished run's checkpoint: with train.checkpoint_every, the final one (epoch E + 1, step 0:
// what --resume with a larger train.epochs goes on from, as for the classifier), written before
// early stopping's best tables replace the last epoch's; else none, so that a checkpoint left by
// an interruption cannot restart the finished run at an old epoch.
void final_checkpoint(WordRun& run) {
  if (!run.writes() || run.signal != 0) return;
  if (run.config.train.checkpoint_every > 0 && !run.best.stopped_early) {
    save_checkpoint_at(run, static_cast<int64_t>(run.epochs.size()) + 1, 0, 0, 0, run.generator.get_state());
    return;
  }
  std::error_code ignored;  // finished: the folder holds the tables once
  std::filesystem::remove(run.run_dir.file(run_file::checkpoint), ignored);
}

// After the epochs: the final checkpoint, early stopping's best tables, the run folder, and for
// a finished replacement the folder put in place.
void finish(WordRun& run, const torch::Tensor& initial) {
  final_checkpoint(run);
  // Past the last checkpoint the optimizer's state is not needed: SparseAdam's moments (twice
  // the tables) go before the artefacts are written, where the run's memory would peak.
  run.optimizer.reset();
  keep_best_epoch(run);
  if (run.signal != 0) {
    spdlog::warn("interrupted by signal {} at epoch {}, step {}: writing the report so far; continue with "
                 "embtrain train --resume {}", run.signal, run.stopped_epoch, run.stopped_step, run.run_dir.path());
  }
  if (!run.writes()) return;
  write_word_artefacts(run, initial);
  if (run.signal != 0) return;
  if (!run.run_dir.replaces().empty()) run.run_dir = run.run_dir.put_in_place();
}

// --nproc / torchrun: the group, once every worker holds the same run (text, vocabulary, keys,
// epochs, where a resume starts). The plan and the negatives are drawn alike on every worker
// from the same seed; each trains its slice of every batch (Workers::gather_uses).
void join_word_workers(WordRun& run, int64_t resume_epoch, int64_t resume_step) {
  const WorkerSetup& setup = run.options.workers;
  run.workers = join_workers(setup, fingerprint_from_text(run.fingerprint), run.config.train,
                             resume_epoch > 0 ? fmt::format("epoch {}, step {}", resume_epoch, resume_step + 1) : "");
  spdlog::info("rank {} of {} workers: each step trains on its slice of the batch of {} centres", setup.rank,
               setup.world_size, run.config.train.batch_size);
}

}  // namespace

int run_word_training(const Config& config, const RunOptions& options, const WordCorpus& corpus) {
#ifdef __GLIBC__
  // Reading the text (its first-seen ids, the token table's strings) and loading LibTorch left
  // freed pages that glibc keeps; handing them back before the tables and the epoch plan are
  // allocated lowers the run's peak (measured on the 4.0M-token corpus: 78 MB back, peak RSS
  // of a 1-epoch run with the plan's changes, word_batch.cpp, 403 -> 362 MB).
  malloc_trim(0);
#endif
  use_threads(config.train.threads, options.test_split_always);
  const auto started = Clock::now();
  WordRun run(config, options, corpus, RunDir::at(options.output_dir));
  run.device = word_device(config.train.device, options.workers);
  set_up(run);
  const torch::Tensor initial = word_vectors(run.model->embedding->weight, run.rows);  // [V, D]
  std::optional<WordProgress> resumed;
  if (options.resume) resumed = resume_word_run(run);
  spdlog::info("{}: {} lines, {} tokens ({} outside the vocabulary, dropped), vocabulary of {}",
               to_string(config.model.objective), corpus.lines(), corpus.tokens(), corpus.dropped, corpus.vocab.size());
  if (run.rows.subwords) {
    spdlog::info("subwords: {} input rows ({} words + {} n-gram buckets); {} rows per word on average",
                 run.rows.table_rows, corpus.vocab.size(), config.vocab.buckets,
                 static_cast<double>(run.rows.rows.size()) / static_cast<double>(corpus.vocab.size()));
  }
  if (options.workers.distributed()) join_word_workers(run, resumed ? resumed->epoch : 0, resumed ? resumed->step : 0);
  if (run.writes()) {
    write_file_atomic(run.run_dir.file(run_file::config), to_json(with_absolute_paths(config)).dump(2) + "\n");
    write_file_atomic(run.run_dir.file(run_file::vocab), corpus.vocab.to_text());
    write_file_atomic(run.run_dir.file(run_file::metrics), metrics_text(run.epochs), /*durable=*/false);
  }
  run.progress = Progress(Progress::mode_for(options.quiet, run.writes()), config.train.epochs,
                          config.train.batch_size, "centre words");
  try {
    const SignalGuard signals;
    for (int64_t epoch = resumed ? resumed->epoch : 1; epoch <= config.train.epochs && !run.best.stopped_early; ++epoch) {
      if (!train_epoch(run, epoch, resumed && epoch == resumed->epoch ? &*resumed : nullptr)) break;
    }
  } catch (...) {
    run.progress.clear();  // the error line starts a line of its own
    throw;
  }
  run.progress.clear();
  if (run.signal == 0 && run.steps == 0 && run.writes()) {
    spdlog::warn("the run learned nothing: no optimizer step ran in {} epochs, so the vectors after are their "
                 "initial draw", run.epochs.size());
  }
  finish(run, initial);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  spdlog::info("{} in {:.2f} s; report: {} (and report.html)", run.signal ? "stopped" : "done", seconds,
               run.run_dir.file(run_file::report));
  if (options.json && run.writes()) {
    std::cout << json{{"output_dir", run.run_dir.path()}, {"seconds", seconds}, {"vocab_size", corpus.vocab.size()},
                      {"metrics", run.epochs.empty() ? json::object() : run.epochs.back()}}
                     .dump()
              << std::endl;
  }
  return run.signal ? 128 + static_cast<int>(run.signal) : 0;
}

}  // namespace embtrain
