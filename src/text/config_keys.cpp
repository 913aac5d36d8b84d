// config_keys.cpp — the key table (every config key declared once), and what is made from it:
// config.json's JSON, absolute paths, and the docs (`embtrain keys`, the README's table).
#include "embtrain/text/config_keys.h"

#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

namespace embtrain {
namespace schema {

using nlohmann::json;
namespace fs = std::filesystem;

std::string describe(const json& value) {
  // `replace`: a value from --set may hold invalid UTF-8, which dump() would reject.
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

Error bad_value(const std::string& key, const std::string& origin, const std::string& what,
                const json& value) {
  return Error::usage("config key '" + key + "' in " + origin + ": " + what + ", got " +
                      describe(value));
}

// Each Key reads its field of a Config into JSON (config.json, the defaults that act as the
// schema for merging) and writes a JSON value into it, checking the value's range or choices
// on the way (types were checked against the default by the merge). Its `meaning` is the
// README's key table.

namespace {

template <typename S>
using Section = S Config::*;

template <typename S>
Key boolean(const char* name, Section<S> section, bool S::*field, const char* meaning) {
  return {name, KeyKind::boolean, meaning, [=](const Config& c) { return json((c.*section).*field); },
          [=](Config& c, const json& v, const std::string&) { (c.*section).*field = v.get<bool>(); }};
}

// An integer in [min, max]; the bounds keep every product of sizes (e.g. embedding_dim ×
// max_length, epochs × steps) far inside int64.
template <typename S>
Key integer(const char* name, Section<S> section, int64_t S::*field, int64_t min, int64_t max,
            const char* meaning) {
  return {name, KeyKind::integer, meaning,
          [=](const Config& c) { return json((c.*section).*field); },
          [=](Config& c, const json& v, const std::string& origin) {
            const int64_t value = v.get<int64_t>();
            if (value < min) throw bad_value(name, origin, "must be >= " + std::to_string(min), v);
            if (value > max) throw bad_value(name, origin, "must be <= " + std::to_string(max), v);
            (c.*section).*field = value;
          }};
}

// A finite number > 0.
template <typename S>
Key positive(const char* name, Section<S> section, double S::*field, const char* meaning) {
  return {name, KeyKind::number, meaning, [=](const Config& c) { return json((c.*section).*field); },
          [=](Config& c, const json& v, const std::string& origin) {
            const double value = v.get<double>();
            if (!std::isfinite(value) || value <= 0) {
              throw bad_value(name, origin, "must be a positive number", v);
            }
            (c.*section).*field = value;
          }};
}

// A finite number >= `min`.
template <typename S>
Key number_at_least(const char* name, Section<S> section, double S::*field, double min, const char* meaning) {
  return {name, KeyKind::number, meaning, [=](const Config& c) { return json((c.*section).*field); },
          [=](Config& c, const json& v, const std::string& origin) {
            const double value = v.get<double>();
            if (!std::isfinite(value) || value < min) {
              throw bad_value(name, origin, "must be a number >= " + json(min).dump(), v);
            }
            (c.*section).*field = value;
          }};
}

// A string; `kind` path: relative paths in a file are relative to the file's folder, and null
// clears it.
template <typename S>
Key text(const char* name, Section<S> section, std::string S::*field, KeyKind kind,
         const char* meaning) {
  return {name, kind, meaning, [=](const Config& c) { return json((c.*section).*field); },
          [=](Config& c, const json& v, const std::string&) {
            (c.*section).*field = v.get<std::string>();
          }};
}

// One of `names`, parsed into the enum E whose values they name in order.
template <typename S, typename E, size_t N>
Key choice(const char* name, Section<S> section, E S::*field, const std::array<const char*, N>& names,
           const char* meaning) {
  return {name, KeyKind::choice, meaning,
          [=](const Config& c) { return json(names[static_cast<size_t>((c.*section).*field)]); },
          [=](Config& c, const json& v, const std::string& origin) {
            const std::string value = v.get<std::string>();
            std::string list;
            for (size_t i = 0; i < N; ++i) {
              if (value == names[i]) {
                (c.*section).*field = static_cast<E>(i);
                return;
              }
              list += (i ? " | " : "") + std::string(names[i]);
            }
            throw Error::usage("config key '" + std::string(name) + "' in " + origin +
                               ": expected one of " + list + ", got \"" + value + "\"");
          }};
}

template <typename S>
Key text_list(const char* name, Section<S> section, std::vector<std::string> S::*field,
              const char* meaning) {
  return {name, KeyKind::text_list, meaning,
          [=](const Config& c) { return json((c.*section).*field); },
          [=](Config& c, const json& v, const std::string& origin) {
            auto& out = (c.*section).*field;
            out.clear();
            for (const auto& item : v) {
              if (!item.is_string()) throw bad_value(name, origin, "expected a list of strings", item);
              out.push_back(item.get<std::string>());
            }
          }};
}

Key token_pairs(const char* name, const char* meaning) {
  return {name, KeyKind::pair_list, meaning,
          [](const Config& c) {
            json pairs = json::array();
            for (const auto& pair : c.report.pairs) pairs.push_back({pair[0], pair[1]});
            return pairs;
          },
          [=](Config& c, const json& v, const std::string& origin) {
            c.report.pairs.clear();
            for (const auto& pair : v) {
              if (!(pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())) {
                throw bad_value(name, origin, "expected pairs of tokens like [\"happy\", \"sad\"]", pair);
              }
              c.report.pairs.push_back({pair[0].get<std::string>(), pair[1].get<std::string>()});
            }
          }};
}

constexpr int64_t kMaxSize = int64_t{1} << 40;   // counts of tokens, rows, sentences
constexpr int64_t kMaxWidth = int64_t{1} << 20;  // embedding_dim, hidden_dim, max_length
constexpr int64_t kMaxEpochs = int64_t{1} << 24;

}  // namespace

const std::vector<Key>& keys() {
  using C = Config;
  static const std::vector<Key> table = {
      text("data.train", &C::data, &DataConfig::train, KeyKind::path,
           "training data (TSV, JSONL or fastText; raw text for the word objectives); required"),
      text("data.valid", &C::data, &DataConfig::valid, KeyKind::path,
           "optional data, scored after every epoch (word objectives: a pairs file, word1<TAB>word2<TAB>score, whose Spearman is scored)"),
      text("data.test", &C::data, &DataConfig::test, KeyKind::path,
           "optional data, scored after every epoch"),
      text("data.cache", &C::data, &DataConfig::cache, KeyKind::path,
           "a folder for the encoded corpus: the first run writes the vocabulary, counts and every "
           "split's rows there (4 bytes a token), keyed by a hash of the data files and the data/vocab "
           "keys; later runs with the same inputs (sweeps over other keys, every worker) map it "
           "instead of reading and tokenising (word objectives: the text's vocabulary, counts and ids, "
           "shared by skipgram and cbow). Empty: no cache"),
      choice("data.format", &C::data, &DataConfig::format, kDataFormatNames,
             "`auto` (by extension: `.tsv`, `.jsonl`, `.txt`/`.ft` = fastText), `tsv`, `jsonl`, `fasttext`, or "
             "`text` (raw text, one sentence or paragraph a line, for the word objectives; they read "
             "the other formats with their labels ignored)"),
      boolean("data.skip_bad_lines", &C::data, &DataConfig::skip_bad_lines,
              "skip malformed lines and count them (logged) instead of failing"),
      text_list("data.labels", &C::data, &DataConfig::labels,
                "the labels, in output order; `[]`: from the training data. Data whose every "
                "line has the one label 0 or 1 trains one binary output (the article); any other "
                "labels train one Sigmoid output per label (one-vs-all BCE, fastText's `-loss "
                "ova`), and a run's config.json lists them here"),
      text_list("data.label_names", &C::data, &DataConfig::label_names,
                "binary runs: names for labels 0 and 1, e.g. `[\"ham\", \"spam\"]`; report.html's "
                "legend and `predict --json` use them (`[]`: positive and negative)"),
      text("vocab.file", &C::vocab, &VocabConfig::file, KeyKind::path,
           "a fixed vocabulary, one token per line, 0-based line number = index; when set, the "
           "specials, min_count, max_size and order keys are not applied"),
      choice("vocab.tokenizer", &C::vocab, &VocabConfig::tokenizer, kTokenizerNames,
             "`whitespace` (the article's `str.split()`) or `char` (each UTF-8 code point is a "
             "token, spaces included)"),
      boolean("vocab.lowercase", &C::vocab, &VocabConfig::lowercase, "fold ASCII letters to lower case"),
      number_at_least("vocab.sample", &C::vocab, &VocabConfig::sample, 0.0,
                      "word objectives: subsampling of frequent words: a token of a word with "
                      "frequency f (its share of the training tokens) is kept each epoch with "
                      "probability min(1, √(t/f) + t/f) (word2vec's and gensim's formula; 0: keep all)"),
      integer("vocab.min_count", &C::vocab, &VocabConfig::min_count, 1, kMaxSize,
              "drop tokens seen fewer times in the training data"),
      integer("vocab.max_size", &C::vocab, &VocabConfig::max_size, 0, kMaxSize,
              "cap on the vocabulary size, specials included (0 = no limit)"),
      text_list("vocab.specials", &C::vocab, &VocabConfig::specials,
                "tokens placed first, e.g. `[\"<pad>\", \"<unk>\"]`; `[]` reproduces the article"),
      choice("vocab.order", &C::vocab, &VocabConfig::order, kVocabOrderNames,
             "`first_seen` or `frequency` (ties keep first-seen order)"),
      integer("vocab.word_ngrams", &C::vocab, &VocabConfig::word_ngrams, 1, 16,
              "n > 1 adds a hashed row for every run of 2..n consecutive tokens of a sentence "
              "(fastText's `-wordNgrams`); needs `mean`, `sum` or `max` pooling"),
      boolean("vocab.subwords", &C::vocab, &VocabConfig::subwords,
              "adds a hashed row for every character n-gram (`minn`..`maxn` code points) of "
              "`<token>` (fastText's `-minn`/`-maxn`); unknown tokens keep their n-grams. Word "
              "objectives: a word's input vector is the mean of its row and its n-grams' rows "
              "(fastText's skipgram/cbow with subwords)"),
      integer("vocab.minn", &C::vocab, &VocabConfig::minn, 1, 64, "shortest character n-gram"),
      integer("vocab.maxn", &C::vocab, &VocabConfig::maxn, 1, 64, "longest character n-gram"),
      integer("vocab.buckets", &C::vocab, &VocabConfig::buckets, 1, std::numeric_limits<int32_t>::max(),
              "hashed rows after the word rows when word n-grams or subwords are on; n-grams "
              "land in the bucket fastText's `-bucket` gives them (its hash and formula)"),
      integer("model.embedding_dim", &C::model, &ModelConfig::embedding_dim, 1, kMaxWidth,
              "D, the embedding width"),
      integer("model.hidden_dim", &C::model, &ModelConfig::hidden_dim, 1, kMaxWidth,
              "H, the hidden layer width"),
      choice("model.objective", &C::model, &ModelConfig::objective, kObjectiveNames,
             "`classify` (the article: sentences and their labels, pooled embeddings, linear layers, "
             "a Sigmoid) or the word objectives on raw text (`data.format: text`): `skipgram` "
             "(each word predicts the words around it, word2vec's and fastText's skip-gram) or "
             "`cbow` (the mean of the context's input vectors predicts the word), both with "
             "negative sampling: BCE on the true (word, context) pair and `model.negative` "
             "sampled words"),
      integer("model.window", &C::model, &ModelConfig::window, 1, 1000,
              "word objectives: each centre word's window is drawn uniformly from 1..window "
              "(word2vec's reduced window) and never crosses a line"),
      integer("model.negative", &C::model, &ModelConfig::negative, 1, 1000,
              "word objectives: negative samples per (word, context) pair"),
      number_at_least("model.ns_exponent", &C::model, &ModelConfig::ns_exponent, 0.0,
                      "word objectives: negatives are drawn with probability ∝ count^exponent "
                      "(word2vec's 0.75; 0: uniform, 1: by frequency)"),
      choice("model.pooling", &C::model, &ModelConfig::pooling, kPoolingNames,
             "`flatten` (the article: pad/truncate to `max_length` tokens and concatenate, in = "
             "L·D; padding is a zero vector) or `mean`, `sum`, `max` (embedding_bag, in = D)"),
      integer("model.max_length", &C::model, &ModelConfig::max_length, 1, kMaxWidth,
              "tokens per sentence for `flatten`"),
      boolean("model.final_relu", &C::model, &ModelConfig::final_relu,
              "the article's ReLU before the Sigmoid (it pins outputs at ≥ 0.5 and zeroes the "
              "gradient of every example whose logit is negative)"),
      choice("model.init", &C::model, &ModelConfig::init, kEmbeddingInitNames,
             "the embedding's initial weights: `normal` (PyTorch's N(0, 1), the article's), "
             "`uniform` (U(−1/D, 1/D), fastText's: rare tokens start near zero instead of "
             "swamping a sentence's mean) or `xavier_uniform`; drawn from the seeded generator "
             "right after the model is built, as `torch.nn.init` does in Python. The linear "
             "layers keep PyTorch's defaults"),
      text("model.pretrained", &C::model, &ModelConfig::pretrained, KeyKind::path,
           "a `.vec` file (word2vec/fastText text format, e.g. from `embtrain export --format "
           "vec`): rows of the tokens it has start from its vectors; the dimension must equal "
           "`model.embedding_dim`; the log counts the vocabulary tokens it lacks"),
      boolean("model.freeze_embedding", &C::model, &ModelConfig::freeze_embedding,
              "keep the embedding fixed and train only the classifier"),
      integer("train.epochs", &C::train, &TrainConfig::epochs, 1, kMaxEpochs,
              "passes over the training data"),
      integer("train.batch_size", &C::train, &TrainConfig::batch_size, 1, kMaxSize,
              "sentences per step (the last batch may be smaller)"),
      positive("train.lr", &C::train, &TrainConfig::lr, "learning rate"),
      choice("train.lr_schedule", &C::train, &TrainConfig::lr_schedule, kLrScheduleNames,
             "the lr of step k (0-based, over all epochs; T steps in the run, W warmup steps): "
             "`lr·(k+1)/W` while k < W, then with p = (k−W)/(T−W): `constant` lr, `linear` "
             "lr·(1−p) (fastText's decay), `cosine` lr·(1+cos(πp))/2; Python's "
             "`LambdaLR` stepped after each optimizer step gives the same. T counts "
             "`train.epochs`, so extending a run with --resume stretches the rest of it"),
      integer("train.warmup_steps", &C::train, &TrainConfig::warmup_steps, 0, kMaxSize,
              "steps whose lr rises linearly to `train.lr` before the schedule starts"),
      choice("train.optimizer", &C::train, &TrainConfig::optimizer, kOptimizerNames,
             "`adam` (PyTorch defaults: betas 0.9/0.999, eps 1e-8), `sparse_adam` (sparse "
             "embedding gradients; the embedding follows `torch.optim.SparseAdam`, the linear "
             "layers follow Adam) or `sgd` (plain `torch.optim.SGD`, no momentum; with "
             "`train.lr_schedule: linear`, word2vec's decay); all round as Python's `torch.optim` does"),
      integer("train.seed", &C::train, &TrainConfig::seed, 0, std::numeric_limits<int64_t>::max(),
              "seeds `torch::manual_seed`. The model is the first thing drawn from that "
              "generator, so the initial weights equal Python's. Shuffling draws from its own CPU "
              "generator seeded with the same number (Python: `g = torch.Generator(); "
              "g.manual_seed(seed); torch.randperm(n, generator=g)` once per epoch)"),
      boolean("train.shuffle", &C::train, &TrainConfig::shuffle, "shuffle each epoch (`false` = file order)"),
      text("train.device", &C::train, &TrainConfig::device, KeyKind::text,
           "`auto` (CUDA when available), `cpu`, `cuda`, `cuda:N`; `auto` trains a word objective on the CPU (its kernels, PyTorch's bits); `cuda` or `cuda:N` trains it with ATen's ops on the GPU"),
      integer("train.threads", &C::train, &TrainConfig::threads, 0, 4096,
              "threads that reading the training file, the sort and sparse backward of each step, "
              "the optimizer and evaluation are split over (0 = one per core); ATen itself runs on one, "
              "and a step's sort runs on a second thread beside the dense layers. The results are the "
              "same bits for any count (see \"Real data and speed\")"),
      integer("train.checkpoint_every", &C::train, &TrainConfig::checkpoint_every, 0, kMaxEpochs,
              "write `checkpoint.pt` every N epochs and at the end (0: only when a signal stops "
              "the run); a finished run keeps the last one, which --resume with a larger train.epochs extends"),
      choice("train.early_stopping", &C::train, &TrainConfig::early_stopping, kEarlyStoppingNames,
             "`off`, or the `data.valid` metric that picks the epoch: `loss` (lower is better), "
             "`accuracy` (P@1 for many labels) or `f1`; for word objectives `spearman` (data.valid "
             "is a pairs file). The run keeps the best epoch's weights as `after` and in `model.pt`, "
             "and its metrics; report.json's `early_stopping` says which epoch that was"),
      integer("train.patience", &C::train, &TrainConfig::patience, 1, kMaxEpochs,
              "with early stopping: epochs without a better valid metric before training stops"),
      integer("train.dist_timeout", &C::train, &TrainConfig::dist_timeout, 1, 3600,
              "seconds a worker of a data-parallel run (`--nproc`, torchrun) waits for the others "
              "in a step before it stops with an error naming the lost worker (a worker that "
              "exits is noticed at once)"),
      integer("report.neighbors", &C::report, &ReportConfig::neighbors, 0, kMaxSize,
              "k nearest tokens (cosine) listed before and after"),
      integer("report.neighbors_min_count", &C::report, &ReportConfig::neighbors_min_count, 1, kMaxSize,
              "neighbour lists name only tokens seen at least this often in the training data "
              "(rare tokens keep rows that training barely shaped)"),
      token_pairs("report.pairs",
                  "token pairs to track, e.g. `[[\"happy\",\"joyful\"],[\"happy\",\"sad\"]]`"),
      text_list("report.tokens", &C::report, &ReportConfig::tokens,
                "tokens whose rows the JSON report always includes"),
      integer("report.max_rows", &C::report, &ReportConfig::max_rows, 0, kMaxSize,
              "vocabularies larger than this get a bounded JSON report (see below)"),
  };
  return table;
}

bool is_path_key(const std::string& dotted) {
  for (const auto& key : keys()) {
    if (key.name == dotted) return key.kind == KeyKind::path;
  }
  return false;
}

// "train.epochs" -> {"train", "epochs"}
std::pair<std::string, std::string> split_key(const std::string& dotted) {
  const auto dot = dotted.find('.');
  return {dotted.substr(0, dot), dotted.substr(dot + 1)};
}

}  // namespace schema

using namespace schema;
using nlohmann::json;
namespace fs = std::filesystem;

json to_json(const Config& c) {
  json out = json::object();
  for (const auto& key : keys()) {
    const auto [section, leaf] = split_key(key.name);
    out[section][leaf] = key.read(c);
  }
  return out;
}

std::vector<std::string> config_keys() {
  std::vector<std::string> names;
  for (const auto& key : keys()) names.push_back(key.name);
  return names;
}

Config with_absolute_paths(const Config& config) {
  Config absolute = config;
  for (const auto& key : keys()) {
    if (key.kind != KeyKind::path) continue;
    const std::string path = key.read(config).get<std::string>();
    if (path.empty()) continue;
    key.write(absolute, fs::absolute(path).lexically_normal().string(), "");
  }
  return absolute;
}

namespace {

// A default as the README shows it: `"auto"`, `1e-4`, `[]`, or "required".
std::string default_text(const Key& key, const json& value) {
  if (key.name == "data.train") return "required";
  if (value.is_number_float()) {
    std::ostringstream number;
    number << value.get<double>();
    return "`" + number.str() + "`";
  }
  return "`" + value.dump() + "`";
}

}  // namespace

std::string config_keys_markdown() {
  const Config defaults;
  std::string table = "| key | default | meaning |\n| --- | --- | --- |\n";
  for (const auto& key : keys()) {
    table += "| `" + key.name + "` | " + default_text(key, key.read(defaults)) + " | " + key.meaning + " |\n";
  }
  return table;
}

std::string config_keys_text() {
  const Config defaults;
  std::string text;
  for (const auto& key : keys()) {
    const json value = key.read(defaults);
    text += key.name + "\t" + (key.name == "data.train" ? "(required)" : value.dump()) + "\t" +
            key.meaning + "\n";
  }
  return text;
}

}  // namespace embtrain
