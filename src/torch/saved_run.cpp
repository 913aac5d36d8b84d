// saved_run.cpp — predict, eval, neighbors, export and compare on finished runs.
#include "embtrain/saved_run.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <optional>

#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"
#include "embtrain/text/inspect.h"
#include "embtrain/text/io.h"
#include "embtrain/text/labels.h"
#include "embtrain/text/ngrams.h"
#include "embtrain/text/run_dir.h"
#include "embtrain/text/run_state.h"
#include "embtrain/text/utf8.h"
#include "embtrain/torch/archive_check.h"
#include "embtrain/torch/embeddings_file.h"
#include "embtrain/torch/python_file.h"
#include "embtrain/torch/torch_error.h"
#include "embtrain/text/metrics.h"
#include "embtrain/torch/matrix_view.h"
#include "embtrain/torch/model.h"
#include "embtrain/text/report.h"
#include "embtrain/text/run_compare.h"
#include "embtrain/text/predictions.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/torch/trainer.h"
#include "embtrain/text/vectors.h"
#include "embtrain/text/vocab.h"

namespace embtrain {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The file `name` of the finished run in `dir`; the one "not a run" error otherwise.
std::string in_run(const std::string& dir, const char* name) {
  return RunDir::open_finished(dir).require(name);
}

struct LoadedRun {
  Config config;
  Vocab vocab;
  Classifier model{nullptr};
  std::optional<Ngrams> ngrams;  // when the run hashed n-grams into bucket rows

  const Ngrams* hashed() const { return ngrams ? &*ngrams : nullptr; }
};

LoadedRun load_run(const std::string& dir, bool with_model) {
  LoadedRun run;
  warn_if_unfinished(RunDir::open_finished(dir));
  run.config = load_config(in_run(dir, run_file::config), {});
  run.vocab = Vocab::load(in_run(dir, run_file::vocab));
  if (Ngrams::enabled(run.config.vocab)) run.ngrams.emplace(run.config.vocab, run.vocab.size());
  if (with_model && is_word_objective(run.config.model.objective)) {
    throw Error::usage("'" + dir + "' is a " + to_string(run.config.model.objective) +
                       " run: it learned word vectors, not labels, so it has no classifier to predict or evaluate "
                       "with; read it with neighbors, similarity, analogy, inspect, compare or export");
  }
  if (with_model) {
    run.model = Classifier(run.config.model, table_rows(run.config.vocab, run.vocab.size()), false,
                           output_count(run.config), TableStart::loaded);
    try {
      if (const std::string problem = archive_problem(in_run(dir, run_file::model)); !problem.empty()) {
        throw Error::runtime(in_run(dir, run_file::model) + " is not a readable model file: " + problem);
      }
      torch::serialize::InputArchive archive;
      archive.load_from(in_run(dir, run_file::model));
      run.model->load(archive);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {  // c10::Error, or a corrupted archive's ErrorReport
      throw Error::runtime(in_run(dir, run_file::model) + " does not match the run's config and vocabulary: " +
                           torch_error_text(e));
    }
    run.model->eval();
  }
  return run;
}

// before and after [V, D] from embeddings.pt and model.pt: the word rows (the table's [R, D]
// holds any bucket rows after them, which have no token to name them here).
std::pair<torch::Tensor, torch::Tensor> load_embeddings(const std::string& dir, const LoadedRun& run) {
  // A word run's tables are its word vectors, [V, D] (with subwords embeddings.pt holds them whole).
  const int64_t rows = is_word_objective(run.config.model.objective) ? run.vocab.size()
                                                                     : table_rows(run.config.vocab, run.vocab.size());
  const auto [before, after] = read_tables(in_run(dir, run_file::embeddings), in_run(dir, run_file::model), rows);
  return {before.narrow(0, 0, run.vocab.size()), after.narrow(0, 0, run.vocab.size())};
}

// Sentences -> probabilities [N, C] (row-major; C = 1 for a binary run), in batches.
std::vector<float> probabilities(LoadedRun& run, const Corpus& corpus) {
  torch::NoGradGuard no_grad;
  const int64_t outputs = output_count(run.config);
  std::vector<float> out(static_cast<size_t>(corpus.size() * outputs));
  std::vector<int64_t> order(static_cast<size_t>(corpus.size()));
  std::iota(order.begin(), order.end(), 0);
  constexpr int64_t kBatch = 512;
  for (int64_t start = 0; start < corpus.size(); start += kBatch) {
    const int64_t count = std::min(kBatch, corpus.size() - start);
    const Batch batch = make_batch(corpus, order.data() + start, count, run.config.model, torch::kCPU);
    const auto probs = run.model->forward(batch).contiguous();
    std::copy_n(probs.data_ptr<float>(), count * outputs, out.begin() + start * outputs);
  }
  return out;
}

int64_t token_id(const Vocab& vocab, const std::string& token, const std::string& dir) {
  const int64_t id = vocab.find(token);
  if (id < 0) throw Error::usage("token '" + token + "' is not in the vocabulary of " + dir);
  return id;
}

}  // namespace

void predict(const PredictOptions& options) {
  if (options.k < 1) throw Error::usage("predict -k must be at least 1, got " + std::to_string(options.k));
  if (options.threshold && !(*options.threshold >= 0 && *options.threshold <= 1)) {
    throw Error::usage("predict --threshold must be between 0 and 1, got " + fmt::format("{}", *options.threshold));
  }
  LoadedRun run = load_run(options.run_dir, true);
  Tokenizer tokenizer(TokenizerOptions::from(run.config.vocab));
  TextDataset chunk;
  std::vector<std::string> where;  // each chunk row's origin, for warnings
  std::vector<std::string_view> tokens;
  auto flush = [&] {
    if (chunk.rows.empty()) return;
    const Corpus corpus = encode(chunk, tokenizer, run.vocab, run.hashed());
    const auto probs = probabilities(run, corpus);  // [N, C]
    const size_t outputs = static_cast<size_t>(output_count(run.config));
    for (size_t i = 0; i < chunk.rows.size(); ++i) {
      tokenizer.split(chunk.rows[i].text, tokens);
      const int64_t unknown = count_unknown(run.vocab, tokens, run.hashed());
      const double share = tokens.empty() ? 0.0 : static_cast<double>(unknown) / static_cast<double>(tokens.size());
      if (share > kUnknownWarnShare) {
        spdlog::warn("{}: {} of {} tokens are not in the vocabulary: the prediction says little", where[i],
                     unknown, tokens.size());
      }
      std::cout << prediction_line(run.config, probs.data() + i * outputs, chunk.rows[i].text, share, options) << '\n';
    }
    where.clear();
    std::cout.flush();
    chunk.rows.clear();
  };
  // Bounded chunks: a million stdin lines need no more memory than ten.
  constexpr size_t kChunk = 256;
  // Text must be valid UTF-8 without NUL (as in data files): a bad input is an error naming
  // it, after the complete lines before it are printed, so the output stays well-formed.
  auto check_text = [&](const std::string& text, const std::string& where) {
    size_t bad = 0;
    const bool has_nul = text.find('\0') != std::string::npos;
    if (has_nul || !valid_utf8(text, &bad)) {
      flush();
      throw Error::runtime(where + ": " + (has_nul ? std::string("NUL byte in the text")
                                                   : "invalid UTF-8 at byte " + std::to_string(bad + 1)));
    }
  };
  if (!options.texts.empty()) {
    for (size_t i = 0; i < options.texts.size(); ++i) {
      check_text(options.texts[i], "text argument " + std::to_string(i + 1));
      chunk.rows.push_back({0, options.texts[i]});
      where.push_back("text argument " + std::to_string(i + 1));
    }
    flush();
    return;
  }
  std::string line;
  for (int64_t number = 1; std::getline(std::cin, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    check_text(line, "stdin:" + std::to_string(number));
    chunk.rows.push_back({0, line});
    where.push_back("stdin:" + std::to_string(number));
    if (chunk.rows.size() == kChunk) flush();
  }
  flush();
}

void evaluate_run(const EvalOptions& options) {
  LoadedRun run = load_run(options.run_dir, true);
  Tokenizer tokenizer(TokenizerOptions::from(run.config.vocab));
  const TextDataset text = read_dataset(options.data, parse_data_format(options.format, "--format"), false, "--data");
  Corpus corpus = encode(text, tokenizer, run.vocab, run.hashed());
  LabelSet::from_names(run.config.data.labels).apply(text, corpus);
  std::vector<float> probs;  // [N] (binary runs)
  const Tally tally = evaluate_tally(run.model, corpus, run.config.model, torch::kCPU, &probs);
  const Metrics metrics = summarize(tally);
  json out = to_json(metrics, run.config.data.output_names());
  const double unknown = corpus.unknown_share();
  out["unknown_share"] = unknown;
  if (unknown > kUnknownWarnShare) {
    spdlog::warn("{}: {:.0f}% of its tokens are not in the run's vocabulary", options.data, 100 * unknown);
  }
  out["data"] = options.data;
  out["run"] = options.run_dir;
  if (metrics.multi_label) {
    print_multi_label_eval(metrics, run.config.data.labels, out, options.json);
    return;
  }
  const auto auc = roc_auc(probs, corpus.labels);
  out["roc_auc"] = auc ? json(*auc) : json(nullptr);
  out["confusion"] = {{"true_positive", tally.true_pos},
                      {"false_positive", tally.false_pos},
                      {"true_negative", tally.true_neg},
                      {"false_negative", tally.false_neg}};
  if (options.json) {
    std::cout << out.dump() << '\n';
    return;
  }
  std::cout << fmt::format(
      "examples   {}\nloss       {:.6f}\naccuracy   {:.4f}\nprecision  {:.4f}\nrecall     {:.4f}\n"
      "f1         {:.4f}\nroc_auc    {}\nunknown    {:.1f}% of tokens\n\n              predicted 1  predicted 0\nactual 1  {:>14} {:>12}\n"
      "actual 0  {:>14} {:>12}\n",
      metrics.examples, metrics.loss, metrics.accuracy, metrics.precision, metrics.recall, metrics.f1,
      auc ? fmt::format("{:.4f}", *auc) : std::string("n/a (one class only)"), 100 * unknown, tally.true_pos,
      tally.false_neg, tally.false_pos, tally.true_neg);
}

std::string describe_tokens(const std::string& run_dir, const std::vector<std::string>& tokens, int64_t k) {
  const LoadedRun run = load_run(run_dir, false);
  const auto [before, after] = load_embeddings(run_dir, run);  // [V, D] each
  const Matrix b = matrix_view(before), a = matrix_view(after);
  const auto norms_before = row_norms(b), norms_after = row_norms(a);
  json out = json::object();
  for (const auto& token : tokens) {
    const int64_t row = run.vocab.find(token);
    if (row < 0) {
      out[token] = {{"found", false}, {"reason", "not in the vocabulary"}};
      continue;
    }
    double change = 0;
    for (int64_t d = 0; d < a.dim; ++d) {
      const double delta = static_cast<double>(a.row(row)[d]) - b.row(row)[d];
      change += delta * delta;
    }
    out[token] = {{"found", true},
                  {"index", row},
                  {"change_norm", std::sqrt(change)},
                  {"cosine", cosine(b.row(row), a.row(row), a.dim)},
                  {"neighbors", {{"before", nearest(b, norms_before, run.vocab, row, k)},
                                 {"after", nearest(a, norms_after, run.vocab, row, k)},
                                 {"source", "embeddings.pt"}}},
                  {"source", "embeddings.pt"}};
  }
  return out.dump();
}

void run_word_vectors(const std::string& run_dir, const std::string& when, WordVectors& out) {
  if (when != "before" && when != "after") throw Error::usage("--when must be before or after, got '" + when + "'");
  LoadedRun run = load_run(run_dir, false);
  const auto [before, after] = load_embeddings(run_dir, run);
  const torch::Tensor table = (when == "before" ? before : after).contiguous();  // [V, D]
  out.vocab = std::move(run.vocab);
  out.dim = table.size(1);
  out.values.assign(table.data_ptr<float>(), table.data_ptr<float>() + table.numel());
}

namespace {

// A word outside a subword run's vocabulary: the mean of its character n-grams' rows of the
// trained input table (fastText's getWordVector; a word whose n-grams are all cut off has the
// zero vector), [D]. Anything else outside the vocabulary is the usual error.
torch::Tensor ngram_vector(const std::string& dir, const LoadedRun& run, const std::string& token,
                           const std::string& when, torch::Tensor& table) {
  const Ngrams* ngrams = run.hashed();
  if (!is_word_objective(run.config.model.objective) || !ngrams || !ngrams->subwords()) {
    token_id(run.vocab, token, dir);  // throws: not in the vocabulary
  }
  if (when != "after") {
    throw Error::usage("token '" + token + "' is not in the vocabulary of " + dir + "; a subword run gives it a " +
                       "vector from its trained n-grams, so only with --when after");
  }
  if (!table.defined()) table = trained_table(in_run(dir, run_file::model));  // [R, D]
  std::vector<int32_t> rows;
  ngrams->add_subwords(token, rows);
  if (rows.empty()) return torch::zeros({table.size(1)});
  return table.index_select(0, torch::tensor(std::vector<int64_t>(rows.begin(), rows.end()))).mean(0);
}

}  // namespace

void nearest_tokens(const NeighborsOptions& options) {
  if (options.when != "before" && options.when != "after") {
    throw Error::usage("--when must be before or after, got '" + options.when + "'");
  }
  const LoadedRun run = load_run(options.run_dir, false);
  const auto [before, after] = load_embeddings(options.run_dir, run);
  const torch::Tensor& chosen = options.when == "before" ? before : after;  // [V, D]
  const Matrix m = matrix_view(chosen);
  const auto norms = row_norms(m);
  json result = json::object();
  std::vector<std::string> from_ngrams;
  torch::Tensor table;  // a subword run's whole input table, read once when a word needs it
  for (const auto& token : options.tokens) {
    if (const int64_t row = run.vocab.find(token); row >= 0) {
      result[token] = nearest(m, norms, run.vocab, row, options.k);
      continue;
    }
    // The vector as row V of [V + 1, D]: nearest() never returns the row it is asked about.
    const torch::Tensor q = ngram_vector(options.run_dir, run, token, options.when, table);
    const torch::Tensor with_q = torch::cat({chosen, q.unsqueeze(0)}).contiguous();
    const Matrix mq = matrix_view(with_q);
    result[token] = nearest(mq, row_norms(mq), run.vocab, run.vocab.size(), options.k);
    from_ngrams.push_back(token);
  }
  if (options.json) {
    std::cout << json{{"when", options.when}, {"k", options.k}, {"neighbors", result}, {"from_ngrams", from_ngrams}}.dump()
              << '\n';
    return;
  }
  for (const auto& token : options.tokens) {
    const bool oov = std::find(from_ngrams.begin(), from_ngrams.end(), token) != from_ngrams.end();
    std::cout << token << " (" << options.when << (oov ? "; not in the vocabulary: the mean of its n-grams" : "") << ")\n";
    int rank = 0;
    for (const auto& entry : result[token]) {
      std::cout << fmt::format("  {:>2}  {:<24} {:+.4f}\n", ++rank, entry[0].get<std::string>(),
                               entry[1].get<double>());
    }
  }
}

namespace {

// --format, or what --output says: a folder (or a path ending in /) for projector, else by
// extension: .vec/.txt vec, .bin word2vec-bin, .pt/.pth torch.
std::string export_format(const ExportOptions& options) {
  if (!options.format.empty()) return options.format;
  const std::string& output = options.output;
  std::error_code error;
  if ((!output.empty() && output.back() == '/') || fs::is_directory(output, error)) return "projector";
  const std::string extension = fs::path(output).extension().string();
  if (extension == ".vec" || extension == ".txt") return "vec";
  if (extension == ".bin") return "word2vec-bin";
  if (extension == ".pt" || extension == ".pth") return "torch";
  throw Error::usage("cannot tell the export format from --output '" + output +
                     "' (.vec or .txt: vec, .bin: word2vec-bin, .pt: torch, a folder: projector); give --format");
}

// A file format's --output: not a folder; its missing parent folders are made, as projector's
// folder is.
void prepare_output_file(const std::string& output, const std::string& format) {
  std::error_code error;
  if (fs::is_directory(output, error)) {
    throw Error::usage("--output '" + output + "' is a folder, but --format " + format +
                       " writes a file (only projector writes a folder)");
  }
  const fs::path parent = fs::path(output).parent_path();
  if (!parent.empty()) ensure_writable_dir(parent.string());
}

}  // namespace

void export_embeddings(const ExportOptions& given) {
  ExportOptions options = given;
  options.format = export_format(given);
  if (options.when != "before" && options.when != "after") {
    throw Error::usage("--when must be before or after, got '" + options.when + "'");
  }
  if (options.format != "projector") prepare_output_file(options.output, options.format);
  const LoadedRun run = load_run(options.run_dir, false);
  const auto [before, after] = load_embeddings(options.run_dir, run);
  const torch::Tensor& chosen = options.when == "before" ? before : after;
  int64_t replaced = 0;
  if (options.format == "vec") {
    write_file_atomic(options.output, format_vec(run.vocab, matrix_view(chosen), &replaced));
  } else if (options.format == "word2vec-bin") {
    write_file_atomic(options.output, format_word2vec_bin(run.vocab, matrix_view(chosen), &replaced));
  } else if (options.format == "projector") {
    // One projection with both: rows 0..V-1 are "before", V..2V-1 "after".
    ensure_writable_dir(options.output);
    std::string vectors, metadata = "token\twhen\n";
    for (const auto* t : {&before, &after}) {
      const Matrix m = matrix_view(*t);
      const char* when = t == &before ? "before" : "after";
      for (int64_t r = 0; r < m.rows; ++r) {
        for (int64_t d = 0; d < m.dim; ++d) vectors += fmt::format("{}{:.9g}", d ? "\t" : "", m.row(r)[d]);
        vectors += '\n';
        bool changed = false;
        metadata += printable_token(run.vocab.token(r), &changed) + "\t" + when + "\n";
        replaced += changed && t == &before;
      }
    }
    const json config = {{"embeddings",
                          {{{"tensorName", "embtrain before+after"},
                            {"tensorShape", {2 * before.size(0), before.size(1)}},
                            {"tensorPath", "vectors.tsv"},
                            {"metadataPath", "metadata.tsv"}}}}};
    const fs::path dir = options.output;
    write_file_atomic((dir / "vectors.tsv").string(), vectors);
    write_file_atomic((dir / "metadata.tsv").string(), metadata);
    write_file_atomic((dir / "projector_config.json").string(), config.dump(2) + "\n");
  } else if (options.format == "torch") {
    c10::impl::GenericList tokens(c10::StringType::get());
    for (int64_t id = 0; id < run.vocab.size(); ++id) tokens.push_back(run.vocab.token(id));
    c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
    dict.insert("vocab", tokens);
    dict.insert("weights", chosen);
    dict.insert("before", before);
    dict.insert("after", after);
    dict.insert("when", options.when);
    write_for_python(options.output, dict);
  } else {
    throw Error::usage("--format must be vec, word2vec-bin, projector or torch, got '" + options.format + "'");
  }
  if (replaced) {
    spdlog::warn("{} tokens contain whitespace or a backslash, written with escapes (\\s for a "
                 "space, \\\\ for a backslash; embtrain's model.pretrained reads them back)", replaced);
  }
  spdlog::info("wrote {} ({} tokens, {} dimensions, {})", options.output, run.vocab.size(),
               before.size(1), options.when);
}

void compare_runs(const CompareOptions& options) {
  const LoadedRun a = load_run(options.run_a, false);
  const LoadedRun b = load_run(options.run_b, false);
  const auto [before_a, after_a] = load_embeddings(options.run_a, a);
  const auto [before_b, after_b] = load_embeddings(options.run_b, b);
  if (before_a.size(1) != before_b.size(1)) {
    throw Error::usage("the runs' embeddings differ in dimension (" + std::to_string(before_a.size(1)) +
                       " vs " + std::to_string(before_b.size(1)) + ")");
  }
  const auto rows = compare_tokens(a.vocab, b.vocab, matrix_view(before_a), matrix_view(after_a),
                                   matrix_view(before_b), matrix_view(after_b));
  double cosine_sum = 0;
  for (const auto& row : rows) cosine_sum += row.cosine_after;
  // read_report: the same format check as inspect and report (a hostile report.json is an error).
  const json metrics = metric_differences(read_report(options.run_a), read_report(options.run_b));
  const int64_t common = static_cast<int64_t>(rows.size());
  const json out = {{"run_a", options.run_a},
                    {"run_b", options.run_b},
                    {"common_tokens", common},
                    {"only_in_a", a.vocab.size() - common},
                    {"only_in_b", b.vocab.size() - common},
                    {"mean_cosine_after", rows.empty() ? 0.0 : cosine_sum / static_cast<double>(common)},
                    {"moved_differently", moved_differently(rows, options.top)},
                    {"metrics", metrics}};
  if (options.json) {
    std::cout << out.dump() << '\n';
    return;
  }
  print_comparison(out);
}

}  // namespace embtrain
