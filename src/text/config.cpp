// config.cpp — defaults < file < --set, type and range checks, "did you mean".
#include "embtrain/text/config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/text/utf8.h"

namespace embtrain {
namespace {

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

// ---- The key table: every config key, declared once. -------------------------------------
// Each Key reads its field of a Config into JSON (config.json, the defaults that act as the
// schema for merging) and writes a JSON value into it, checking the value's range or choices
// on the way (types were checked against the default by the merge). Its `meaning` is the
// README's key table.

enum class KeyKind { boolean, integer, number, text, path, choice, text_list, pair_list };

struct Key {
  std::string name;  // "train.epochs"
  KeyKind kind;
  std::string meaning;
  std::function<json(const Config&)> read;
  std::function<void(Config&, const json&, const std::string& origin)> write;
};

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

const std::vector<Key>& keys() {
  using C = Config;
  static const std::vector<Key> table = {
      text("data.train", &C::data, &DataConfig::train, KeyKind::path,
           "training data (TSV, JSONL or fastText); required"),
      text("data.valid", &C::data, &DataConfig::valid, KeyKind::path,
           "optional data, scored after every epoch"),
      text("data.test", &C::data, &DataConfig::test, KeyKind::path,
           "optional data, scored after every epoch"),
      text("data.cache", &C::data, &DataConfig::cache, KeyKind::path,
           "a folder for the encoded corpus: the first run writes the vocabulary, counts and every "
           "split's rows there (4 bytes a token), keyed by a hash of the data files and the data/vocab "
           "keys; later runs with the same inputs (sweeps over other keys, every worker) map it "
           "instead of reading and tokenising. Empty: no cache"),
      choice("data.format", &C::data, &DataConfig::format, kDataFormatNames,
             "`auto` (by extension: `.tsv`, `.jsonl`, `.txt`/`.ft` = fastText), `tsv`, `jsonl`, `fasttext`"),
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
              "`<token>` (fastText's `-minn`/`-maxn`); unknown tokens keep their n-grams"),
      integer("vocab.minn", &C::vocab, &VocabConfig::minn, 1, 64, "shortest character n-gram"),
      integer("vocab.maxn", &C::vocab, &VocabConfig::maxn, 1, 64, "longest character n-gram"),
      integer("vocab.buckets", &C::vocab, &VocabConfig::buckets, 1, std::numeric_limits<int32_t>::max(),
              "hashed rows after the word rows when word n-grams or subwords are on; n-grams "
              "land in the bucket fastText's `-bucket` gives them (its hash and formula)"),
      integer("model.embedding_dim", &C::model, &ModelConfig::embedding_dim, 1, kMaxWidth,
              "D, the embedding width"),
      integer("model.hidden_dim", &C::model, &ModelConfig::hidden_dim, 1, kMaxWidth,
              "H, the hidden layer width"),
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
             "`adam` (PyTorch defaults: betas 0.9/0.999, eps 1e-8) or `sparse_adam` (sparse "
             "embedding gradients; the embedding follows `torch.optim.SparseAdam`, the linear "
             "layers follow Adam); both round as Python's `torch.optim` does"),
      integer("train.seed", &C::train, &TrainConfig::seed, 0, std::numeric_limits<int64_t>::max(),
              "seeds `torch::manual_seed`. The model is the first thing drawn from that "
              "generator, so the initial weights equal Python's. Shuffling draws from its own CPU "
              "generator seeded with the same number (Python: `g = torch.Generator(); "
              "g.manual_seed(seed); torch.randperm(n, generator=g)` once per epoch)"),
      boolean("train.shuffle", &C::train, &TrainConfig::shuffle, "shuffle each epoch (`false` = file order)"),
      text("train.device", &C::train, &TrainConfig::device, KeyKind::text,
           "`auto` (CUDA when available), `cpu`, `cuda`, `cuda:N`"),
      integer("train.threads", &C::train, &TrainConfig::threads, 0, 4096,
              "intra-op threads (`at::set_num_threads`); 0 = LibTorch's default. Steps over small "
              "batches run on one thread (see \"Real data and speed\")"),
      integer("train.checkpoint_every", &C::train, &TrainConfig::checkpoint_every, 0, kMaxEpochs,
              "write `checkpoint.pt` every N epochs and at the end (0: only when a signal stops "
              "the run)"),
      choice("train.early_stopping", &C::train, &TrainConfig::early_stopping, kEarlyStoppingNames,
             "`off`, or the `data.valid` metric that picks the epoch: `loss` (lower is better), "
             "`accuracy` (P@1 for many labels) or `f1`. The run keeps the best epoch's weights "
             "as `after` and in `model.pt`, and its metrics; report.json's `early_stopping` says "
             "which epoch that was"),
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

// The words of a key's last component: "learning_rate" -> {"learning", "rate"}.
std::vector<std::string> leaf_words(const std::string& key) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : key.substr(key.rfind('.') + 1)) {
    if (c == '_' || c == '-') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

// A key found by the parts that carry its meaning, when no spelling is close: the typed words'
// initials spell the known leaf ("learning_rate" -> train.lr), or they share a word of 4
// letters or more ("hidden_size" -> model.hidden_dim). Section names count when they match.
std::string key_by_meaning(const std::string& key, const std::vector<std::string>& candidates) {
  const auto typed = leaf_words(key);
  if (typed.empty()) return "";
  std::string initials;
  for (const auto& word : typed) initials += word[0];
  const std::string section = key.find('.') == std::string::npos ? "" : key.substr(0, key.find('.'));
  std::string best;
  int best_score = 0;
  for (const auto& known : candidates) {
    const auto words = leaf_words(known);
    const std::string leaf = known.substr(known.find('.') + 1);
    int score = typed.size() > 1 && leaf == initials ? 3 : 0;
    for (const auto& word : typed) {
      if (word.size() >= 4 && std::find(words.begin(), words.end(), word) != words.end()) score = std::max(score, 2);
    }
    if (score > 0 && !section.empty() && known.rfind(section + ".", 0) == 0) ++score;
    if (score > best_score) best_score = score, best = known;
  }
  return best;
}

std::string closest_key(const std::string& key) {
  std::string best;
  size_t best_distance = std::string::npos;
  std::vector<std::string> candidates = config_keys();
  if (key.find('.') == std::string::npos) {  // maybe a section: data, vocab, model, train, report
    const json defaults = to_json(Config{});
    for (const auto& [section, values] : defaults.items()) candidates.push_back(section);
  }
  for (const auto& known : candidates) {
    // Compare against the full key and against the last component, so both
    // "model.hiden_dim" and "hiden_dim" find "model.hidden_dim".
    size_t distance = edit_distance(key, known);
    std::string leaf = known.substr(known.find('.') + 1);
    distance = std::min(distance, edit_distance(key.substr(key.rfind('.') + 1), leaf) + 1);
    if (distance < best_distance) {
      best_distance = distance;
      best = known;
    }
  }
  if (best_distance <= std::max<size_t>(3, key.size() / 3)) return best;
  return key_by_meaning(key, candidates);
}

Error unknown_key(const std::string& key, const std::string& origin) {
  std::string message = "unknown config key '" + key + "' in " + origin;
  std::string suggestion = closest_key(key);
  if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
  return Error::usage(message);
}

// Checks that `value` may replace `default_value` (the schema is the defaults).
void check_type(const std::string& key, const json& default_value, const json& value,
                const std::string& origin) {
  auto fail = [&](const char* expected) {
    throw Error::usage("config key '" + key + "' in " + origin + ": expected " + expected +
                       ", got " + describe(value));
  };
  switch (default_value.type()) {
    case json::value_t::boolean:
      if (!value.is_boolean()) fail("true or false");
      break;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      if (!value.is_number_integer()) fail("an integer");
      break;
    case json::value_t::number_float:
      if (!value.is_number()) fail("a number");
      break;
    case json::value_t::string:
      if (!value.is_string()) fail("a string");
      break;
    case json::value_t::array:
      if (!value.is_array()) fail("a list");
      break;
    default:
      fail("a value of another kind");
  }
}

void merge(json& target, const json& source, const std::string& prefix, const std::string& origin,
           const fs::path* base_dir) {
  if (!source.is_object()) {
    throw Error::usage("config " + (prefix.empty() ? std::string("file") : "key '" + prefix + "'") +
                       " in " + origin + ": expected a JSON object, got " + describe(source));
  }
  for (const auto& [key, value] : source.items()) {
    const std::string dotted = prefix.empty() ? key : prefix + "." + key;
    if (!target.contains(key) && prefix.empty() && key.find('.') != std::string::npos) {
      const auto [section, leaf] = split_key(key);
      const auto known = config_keys();
      if (std::find(known.begin(), known.end(), key) != known.end()) {
        throw Error::usage("config key '" + key + "' in " + origin + ": a config file nests keys by section, "
                           "write {\"" + section + "\": {\"" + leaf + "\": ...}} (dotted keys are for --set " +
                           key + "=VALUE)");
      }
    }
    if (!target.contains(key)) throw unknown_key(dotted, origin);
    json& slot = target[key];
    if (slot.is_object()) {
      merge(slot, value, dotted, origin, base_dir);
      continue;
    }
    if (is_path_key(dotted) && value.is_null()) {  // null clears an optional path
      slot = "";
      continue;
    }
    check_type(dotted, slot, value, origin);
    if (value.is_string() && !valid_utf8(value.get_ref<const std::string&>())) {
      throw Error::usage("config key '" + dotted + "' in " + origin + ": the value is not valid UTF-8");
    }
    slot = value;
    if (base_dir && is_path_key(dotted)) {
      const std::string text = value.get<std::string>();
      if (!text.empty() && fs::path(text).is_relative()) {
        slot = (*base_dir / text).lexically_normal().string();
      }
    }
  }
}

json parse_override_value(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception&) {
    return json(text);  // not JSON: taken as a string, e.g. --set data.train=a.tsv
  }
}

void apply_override(json& merged, const std::string& assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw Error::usage("--set '" + assignment + "': expected KEY=VALUE, e.g. --set train.epochs=5");
  }
  const std::string key = assignment.substr(0, equals);
  const json value = parse_override_value(assignment.substr(equals + 1));
  // Rebuild {"a": {"b": value}} and merge it like a tiny config file.
  json nested = value;
  std::vector<std::string> parts;
  std::stringstream stream(key);
  for (std::string part; std::getline(stream, part, '.');) parts.push_back(part);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) nested = json{{*it, nested}};
  merge(merged, nested, "", "--set " + key, nullptr);
}


// What no single key can check: a required key, and checks across keys or inside lists.
void validate(const Config& c, const std::string& origin) {
  if (c.data.train.empty()) {
    throw Error::usage("config key 'data.train' is required (" + origin +
                       "); set it in the file or with --set data.train=PATH");
  }
  std::set<std::string> seen;
  for (const auto& special : c.vocab.specials) {
    if (special.empty()) throw bad_value("vocab.specials", origin, "tokens must not be empty", special);
    if (!seen.insert(special).second) {
      throw bad_value("vocab.specials", origin, "duplicate special token", special);
    }
  }
  if (c.vocab.max_size != 0 && c.vocab.max_size < static_cast<int64_t>(c.vocab.specials.size())) {
    throw bad_value("vocab.max_size", origin, "must leave room for the specials", c.vocab.max_size);
  }
  const auto& names = c.data.label_names;
  if (!names.empty() && (names.size() != 2 || names[0].empty() || names[1].empty() || names[0] == names[1])) {
    throw bad_value("data.label_names", origin, "expected two different names, for labels 0 and 1", names);
  }
  if (!names.empty() && !c.data.labels.empty()) {
    throw Error::usage("config " + origin + ": data.label_names names the labels 0 and 1 of a binary run; "
                       "a multi-label run's data.labels are names already");
  }
  if (c.train.early_stopping != EarlyStopping::off && c.data.valid.empty()) {
    throw Error::usage("config " + origin + ": train.early_stopping is '" + to_string(c.train.early_stopping) +
                       "' but there is no data.valid to measure it on; set data.valid=PATH");
  }
  if (c.vocab.minn > c.vocab.maxn) {
    throw bad_value("vocab.minn", origin, "must be <= vocab.maxn (" + std::to_string(c.vocab.maxn) + ")",
                    c.vocab.minn);
  }
  if ((c.vocab.word_ngrams > 1 || c.vocab.subwords) && c.model.pooling == Pooling::flatten) {
    throw Error::usage("config " + origin + ": vocab.word_ngrams > 1 and vocab.subwords add hashed rows "
                       "to a sentence's bag of ids, which model.pooling 'flatten' (a fixed row per "
                       "position) cannot take; set model.pooling to mean, sum or max");
  }
  const std::string& device = c.train.device;
  const bool cuda_n = device.rfind("cuda:", 0) == 0 && device.size() > 5 && device.size() < 9 &&
                      std::all_of(device.begin() + 5, device.end(), ::isdigit);
  if (!(device == "auto" || device == "cpu" || device == "cuda" || cuda_n)) {
    throw bad_value("train.device", origin, "expected auto | cpu | cuda | cuda:N", device);
  }
}

}  // namespace

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

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

Config config_from_json(const json& o, const std::string& origin) {
  Config c;
  for (const auto& key : keys()) {
    const auto [section, leaf] = split_key(key.name);
    key.write(c, o.at(section).at(leaf), origin);
  }
  validate(c, origin);
  return c;
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

DataFormat parse_data_format(const std::string& name, const std::string& what) {
  for (size_t i = 0; i < kDataFormatNames.size(); ++i) {
    if (name == kDataFormatNames[i]) return static_cast<DataFormat>(i);
  }
  throw Error::usage(what + " must be auto, tsv, jsonl or fasttext, got '" + name + "'");
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

// JSON has no comments: a config that holds one gets told so, with the line.
std::string comment_hint(const std::string& text) {
  size_t line = 1;
  bool in_string = false;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '#' || (c == '/' && (text[i + 1] == '/' || text[i + 1] == '*'))) {
      return " (line " + std::to_string(line) + " holds a comment, and JSON has no comments: remove it)";
    }
  }
  return "";
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

Config load_config_text(const std::string& text, const std::string& path,
                        const std::vector<std::string>& overrides) {
  json merged = to_json(Config{});
  json file;
  try {
    file = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for huge numbers
    throw Error::usage("config file '" + path + "' is not valid JSON: " + json_error_text(e) + comment_hint(text));
  }
  const fs::path base_dir = fs::path(path).parent_path();
  merge(merged, file, "", "'" + path + "'", &base_dir);
  std::string origin = "'" + path + "'";
  for (const auto& assignment : overrides) apply_override(merged, assignment);
  if (!overrides.empty()) origin += " with --set";
  Config config = config_from_json(merged, origin);
  config.source = path;
  return config;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) {
    json merged = to_json(Config{});
    for (const auto& assignment : overrides) apply_override(merged, assignment);
    return config_from_json(merged, overrides.empty() ? "defaults" : "defaults with --set");
  }
  if (const std::string reason = unreadable_reason(path); !reason.empty()) {
    throw Error::usage("cannot read config file '" + path + "': " + reason);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error::usage("cannot read config file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return load_config_text(text.str(), path, overrides);
}

}  // namespace embtrain
