// config.h — the one Config struct every command reads.
//
// Precedence: the defaults written in these structs < the JSON config file <
// `--set key=value` overrides. load_config() merges the three, rejects unknown
// keys (suggesting the closest known one), checks types and ranges once, parses
// enumerated options into enums, and returns a Config that the rest of embtrain
// takes by const&. The keys are declared once, in config.cpp's key table, which
// drives parsing, --set, validation, config.json and the README's key table.
//
// The defaults are the article's run (../shared/seed), so a config that names
// only data.train reproduces it.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace embtrain {

// The enumerated options, parsed from their names once, when the config is read.
enum class DataFormat { auto_detect, tsv, jsonl, fasttext, text };
enum class TokenizerKind { whitespace, chars };
enum class VocabOrder { first_seen, frequency };
enum class Pooling { flatten, mean, sum, max };
enum class OptimizerKind { adam, sparse_adam, sgd };
enum class Objective { classify, skipgram, cbow };
enum class EmbeddingInit { normal, uniform, xavier_uniform };
enum class LrSchedule { constant, linear, cosine };
enum class EarlyStopping { off, loss, accuracy, f1, spearman };

// Each enum's names as configs spell them, in enum order.
inline constexpr std::array<const char*, 5> kDataFormatNames = {"auto", "tsv", "jsonl", "fasttext", "text"};
inline constexpr std::array<const char*, 2> kTokenizerNames = {"whitespace", "char"};
inline constexpr std::array<const char*, 2> kVocabOrderNames = {"first_seen", "frequency"};
inline constexpr std::array<const char*, 4> kPoolingNames = {"flatten", "mean", "sum", "max"};
inline constexpr std::array<const char*, 3> kOptimizerNames = {"adam", "sparse_adam", "sgd"};
inline constexpr std::array<const char*, 3> kObjectiveNames = {"classify", "skipgram", "cbow"};
inline constexpr std::array<const char*, 3> kEmbeddingInitNames = {"normal", "uniform", "xavier_uniform"};
inline constexpr std::array<const char*, 3> kLrScheduleNames = {"constant", "linear", "cosine"};
inline constexpr std::array<const char*, 5> kEarlyStoppingNames = {"off", "loss", "accuracy", "f1", "spearman"};

inline const char* to_string(DataFormat v) { return kDataFormatNames[static_cast<size_t>(v)]; }
inline const char* to_string(TokenizerKind v) { return kTokenizerNames[static_cast<size_t>(v)]; }
inline const char* to_string(VocabOrder v) { return kVocabOrderNames[static_cast<size_t>(v)]; }
inline const char* to_string(Pooling v) { return kPoolingNames[static_cast<size_t>(v)]; }
inline const char* to_string(OptimizerKind v) { return kOptimizerNames[static_cast<size_t>(v)]; }
inline const char* to_string(Objective v) { return kObjectiveNames[static_cast<size_t>(v)]; }
inline const char* to_string(EmbeddingInit v) { return kEmbeddingInitNames[static_cast<size_t>(v)]; }
inline const char* to_string(LrSchedule v) { return kLrScheduleNames[static_cast<size_t>(v)]; }
inline const char* to_string(EarlyStopping v) { return kEarlyStoppingNames[static_cast<size_t>(v)]; }

// True for skipgram and cbow: raw text, no labels, input and output vectors (word_objective.h).
inline bool is_word_objective(Objective o) { return o != Objective::classify; }

// A data format named outside a config (`eval --format`): Error::usage naming `what` otherwise.
DataFormat parse_data_format(const std::string& name, const std::string& what);

struct DataConfig {
  std::string train;                          // required; labelled text
  std::string valid;                          // optional
  std::string test;                           // optional
  DataFormat format = DataFormat::auto_detect;  // auto: by the file's extension
  bool skip_bad_lines = false;                // count and skip malformed lines instead of failing
  std::vector<std::string> labels;            // multi-label runs: the labels in output order
  std::vector<std::string> label_names;       // binary runs: what 0 and 1 mean, e.g. ham, spam
  std::string cache;                          // folder of encoded-corpus caches ("": none)

  // What keys the per-label metrics: the labels of a multi-label run, else the names of a
  // binary run's 0 and 1 (none: they are keyed "0" and "1").
  const std::vector<std::string>& output_names() const { return labels.empty() ? label_names : labels; }
};

struct VocabConfig {
  std::string file;                                  // optional fixed vocabulary, one token per line
  TokenizerKind tokenizer = TokenizerKind::whitespace;
  bool lowercase = false;
  int64_t min_count = 1;
  int64_t max_size = 0;                // 0 = no limit (specials included in the count)
  std::vector<std::string> specials;   // placed first, e.g. <pad>, <unk>
  VocabOrder order = VocabOrder::first_seen;
  int64_t word_ngrams = 1;      // 1: words only; n: also hashed rows for runs of 2..n words
  bool subwords = false;        // hashed rows for each token's character n-grams
  int64_t minn = 3, maxn = 6;   // character n-gram lengths, in code points
  int64_t buckets = 2000000;    // hashed rows after the word rows (fastText's default)
  double sample = 1e-3;         // word objectives: word2vec's subsampling threshold t (0: off)
};

struct ModelConfig {
  Objective objective = Objective::classify;  // what the embedding is trained to do
  int64_t window = 5;               // word objectives: the largest context window
  int64_t negative = 5;             // word objectives: negative samples per positive
  double ns_exponent = 0.75;        // word objectives: negatives drawn ∝ count^exponent
  int64_t embedding_dim = 4;
  int64_t hidden_dim = 8;
  Pooling pooling = Pooling::flatten;
  int64_t max_length = 3;           // tokens per sentence for flatten
  bool final_relu = true;           // the article's ReLU before the Sigmoid
  EmbeddingInit init = EmbeddingInit::normal;  // the embedding's initial draw (normal: PyTorch's)
  std::string pretrained;           // optional .vec file: initial vectors for the tokens it has
  bool freeze_embedding = false;    // keep the embedding fixed (train only the classifier)
};

struct TrainConfig {
  int64_t epochs = 100;
  int64_t batch_size = 1;
  double lr = 1e-4;
  LrSchedule lr_schedule = LrSchedule::constant;  // the lr's shape over the run, after warmup
  int64_t warmup_steps = 0;                       // steps whose lr rises linearly to train.lr
  OptimizerKind optimizer = OptimizerKind::adam;
  int64_t seed = 851;
  bool shuffle = false;
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  int64_t threads = 0;          // 0 = LibTorch's default
  int64_t checkpoint_every = 0;  // epochs between checkpoints, and one at the end (0: only on a signal)
  EarlyStopping early_stopping = EarlyStopping::off;  // the data.valid metric that picks the epoch
  int64_t patience = 3;  // epochs without a better valid metric before training stops
  int64_t dist_timeout = 30;  // seconds a worker of a data-parallel run waits for the others
};

struct ReportConfig {
  int64_t neighbors = 3;                                // k nearest tokens listed
  int64_t neighbors_min_count = 1;  // only tokens seen this often in training are listed
  std::vector<std::array<std::string, 2>> pairs;        // token pairs to track
  std::vector<std::string> tokens;  // rows the JSON report always includes
  int64_t max_rows = 1000;  // vocabularies larger than this get bounded JSON sections
};

struct Config {
  DataConfig data;
  VocabConfig vocab;
  ModelConfig model;
  TrainConfig train;
  ReportConfig report;
  std::string source;  // the config file it came from ("" for defaults only)
};

// Reads `path` (may be empty: defaults only), applies `overrides` ("a.b=value",
// value parsed as JSON where it parses, else taken as a string) and validates.
// Paths in the file are relative to the file's folder; paths in overrides are
// relative to the current directory. Throws Error::usage naming file/line/key.
Config load_config(const std::string& path, const std::vector<std::string>& overrides);

// load_config on text already read from `path` (which names it in errors and
// anchors its relative paths).
Config load_config_text(const std::string& text, const std::string& path,
                        const std::vector<std::string>& overrides);

// Builds a Config from a JSON object already merged (no file, no overrides).
Config config_from_json(const nlohmann::json& object, const std::string& origin);

// The same config with every path key (data.*, vocab.file, model.pretrained) made absolute:
// what a run keeps as config.json, so that --resume and later commands find the data from
// any working directory.
Config with_absolute_paths(const Config& config);

// Every key with its resolved value: what a run writes as config.json.
nlohmann::json to_json(const Config& config);

// Dotted names of every known key, in declaration order (for help and suggestions).
std::vector<std::string> config_keys();

// The README's key table (markdown: key, default, meaning), generated from the key table that
// drives parsing and validation; `embtrain keys --markdown` prints it.
std::string config_keys_markdown();
// One line per key (key, default, meaning) for `embtrain keys`.
std::string config_keys_text();

// Edit distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace embtrain
