// config.cpp — defaults < file < --set, type and range checks, "did you mean".
#include "embtrain/text/config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "embtrain/text/error.h"
#include "embtrain/text/utf8.h"

namespace embtrain {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::set<std::string> kPathKeys = {"data.train", "data.valid", "data.test", "vocab.file",
                                         "model.pretrained"};

std::string describe(const json& value) {
  // `replace`: a value from --set may hold invalid UTF-8, which dump() would reject.
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
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
  return best_distance <= std::max<size_t>(3, key.size() / 3) ? best : std::string();
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
    if (!target.contains(key)) throw unknown_key(dotted, origin);
    json& slot = target[key];
    if (slot.is_object()) {
      merge(slot, value, dotted, origin, base_dir);
      continue;
    }
    if (kPathKeys.count(dotted) && value.is_null()) {  // null clears an optional path
      slot = "";
      continue;
    }
    check_type(dotted, slot, value, origin);
    if (value.is_string() && !valid_utf8(value.get_ref<const std::string&>())) {
      throw Error::usage("config key '" + dotted + "' in " + origin + ": the value is not valid UTF-8");
    }
    slot = value;
    if (base_dir && kPathKeys.count(dotted)) {
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

template <typename T>
T get(const json& object, const char* section, const char* key) {
  return object.at(section).at(key).get<T>();
}

void require(bool ok, const std::string& key, const json& value, const std::string& what,
             const std::string& origin) {
  if (!ok) {
    throw Error::usage("config key '" + key + "' in " + origin + ": " + what + ", got " +
                       describe(value));
  }
}

void require_one_of(const std::string& key, const std::string& value,
                    std::initializer_list<const char*> allowed, const std::string& origin) {
  std::string list;
  for (const char* option : allowed) {
    if (value == option) return;
    list += list.empty() ? "" : " | ";
    list += option;
  }
  throw Error::usage("config key '" + key + "' in " + origin + ": expected one of " + list +
                     ", got \"" + value + "\"");
}

void validate(const Config& c, const std::string& origin) {
  if (c.data.train.empty()) {
    throw Error::usage("config key 'data.train' is required (" + origin +
                       "); set it in the file or with --set data.train=PATH");
  }
  require_one_of("data.format", c.data.format, {"auto", "tsv", "jsonl", "fasttext"}, origin);
  require_one_of("vocab.tokenizer", c.vocab.tokenizer, {"whitespace", "char"}, origin);
  require_one_of("vocab.order", c.vocab.order, {"first_seen", "frequency"}, origin);
  require(c.vocab.min_count >= 1, "vocab.min_count", c.vocab.min_count, "must be >= 1", origin);
  require(c.vocab.max_size >= 0, "vocab.max_size", c.vocab.max_size, "must be >= 0 (0 = no limit)",
          origin);
  std::set<std::string> seen;
  for (const auto& special : c.vocab.specials) {
    require(!special.empty(), "vocab.specials", special, "tokens must not be empty", origin);
    require(seen.insert(special).second, "vocab.specials", special, "duplicate special token",
            origin);
  }
  require(c.vocab.max_size == 0 || c.vocab.max_size >= static_cast<int64_t>(c.vocab.specials.size()),
          "vocab.max_size", c.vocab.max_size, "must leave room for the specials", origin);
  require(c.model.embedding_dim >= 1, "model.embedding_dim", c.model.embedding_dim, "must be >= 1",
          origin);
  require(c.model.hidden_dim >= 1, "model.hidden_dim", c.model.hidden_dim, "must be >= 1", origin);
  require_one_of("model.pooling", c.model.pooling, {"flatten", "mean", "sum", "max"}, origin);
  require(c.model.max_length >= 1, "model.max_length", c.model.max_length, "must be >= 1", origin);
  require(c.train.epochs >= 1, "train.epochs", c.train.epochs, "must be >= 1", origin);
  require(c.train.batch_size >= 1, "train.batch_size", c.train.batch_size, "must be >= 1", origin);
  require(std::isfinite(c.train.lr) && c.train.lr > 0, "train.lr", c.train.lr,
          "must be a positive number", origin);
  require_one_of("train.optimizer", c.train.optimizer, {"adam", "sparse_adam"}, origin);
  require(c.train.seed >= 0, "train.seed", c.train.seed, "must be >= 0", origin);
  const std::string& device = c.train.device;
  const bool cuda_n = device.rfind("cuda:", 0) == 0 && device.size() > 5 &&
                      std::all_of(device.begin() + 5, device.end(), ::isdigit);
  require(device == "auto" || device == "cpu" || device == "cuda" || cuda_n, "train.device", device,
          "expected auto | cpu | cuda | cuda:N", origin);
  require(c.train.threads >= 0, "train.threads", c.train.threads, "must be >= 0", origin);
  require(c.train.checkpoint_every >= 0, "train.checkpoint_every", c.train.checkpoint_every,
          "must be >= 0 (0 = only when a signal stops the run)", origin);
  require(c.report.neighbors >= 0, "report.neighbors", c.report.neighbors, "must be >= 0", origin);
  require(c.report.max_rows >= 0, "report.max_rows", c.report.max_rows, "must be >= 0", origin);
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
  json pairs = json::array();
  for (const auto& pair : c.report.pairs) pairs.push_back({pair[0], pair[1]});
  return json{
      {"data",
       {{"train", c.data.train},
        {"valid", c.data.valid},
        {"test", c.data.test},
        {"format", c.data.format},
        {"skip_bad_lines", c.data.skip_bad_lines}}},
      {"vocab",
       {{"file", c.vocab.file},
        {"tokenizer", c.vocab.tokenizer},
        {"lowercase", c.vocab.lowercase},
        {"min_count", c.vocab.min_count},
        {"max_size", c.vocab.max_size},
        {"specials", c.vocab.specials},
        {"order", c.vocab.order}}},
      {"model",
       {{"embedding_dim", c.model.embedding_dim},
        {"hidden_dim", c.model.hidden_dim},
        {"pooling", c.model.pooling},
        {"max_length", c.model.max_length},
        {"final_relu", c.model.final_relu},
        {"pretrained", c.model.pretrained},
        {"freeze_embedding", c.model.freeze_embedding}}},
      {"train",
       {{"epochs", c.train.epochs},
        {"batch_size", c.train.batch_size},
        {"lr", c.train.lr},
        {"optimizer", c.train.optimizer},
        {"seed", c.train.seed},
        {"shuffle", c.train.shuffle},
        {"device", c.train.device},
        {"threads", c.train.threads},
        {"checkpoint_every", c.train.checkpoint_every}}},
      {"report",
       {{"neighbors", c.report.neighbors},
        {"pairs", pairs},
        {"tokens", c.report.tokens},
        {"max_rows", c.report.max_rows}}}};
}

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  const json defaults = to_json(Config{});
  for (const auto& [section, values] : defaults.items()) {
    for (const auto& [key, value] : values.items()) keys.push_back(section + "." + key);
  }
  return keys;
}

Config config_from_json(const json& o, const std::string& origin) {
  Config c;
  c.data.train = get<std::string>(o, "data", "train");
  c.data.valid = get<std::string>(o, "data", "valid");
  c.data.test = get<std::string>(o, "data", "test");
  c.data.format = get<std::string>(o, "data", "format");
  c.data.skip_bad_lines = get<bool>(o, "data", "skip_bad_lines");
  c.vocab.file = get<std::string>(o, "vocab", "file");
  c.vocab.tokenizer = get<std::string>(o, "vocab", "tokenizer");
  c.vocab.lowercase = get<bool>(o, "vocab", "lowercase");
  c.vocab.min_count = get<int64_t>(o, "vocab", "min_count");
  c.vocab.max_size = get<int64_t>(o, "vocab", "max_size");
  for (const auto& special : o.at("vocab").at("specials")) {
    require(special.is_string(), "vocab.specials", special, "expected a list of strings", origin);
    c.vocab.specials.push_back(special.get<std::string>());
  }
  c.vocab.order = get<std::string>(o, "vocab", "order");
  c.model.embedding_dim = get<int64_t>(o, "model", "embedding_dim");
  c.model.hidden_dim = get<int64_t>(o, "model", "hidden_dim");
  c.model.pooling = get<std::string>(o, "model", "pooling");
  c.model.max_length = get<int64_t>(o, "model", "max_length");
  c.model.final_relu = get<bool>(o, "model", "final_relu");
  c.model.pretrained = get<std::string>(o, "model", "pretrained");
  c.model.freeze_embedding = get<bool>(o, "model", "freeze_embedding");
  c.train.epochs = get<int64_t>(o, "train", "epochs");
  c.train.batch_size = get<int64_t>(o, "train", "batch_size");
  c.train.lr = get<double>(o, "train", "lr");
  c.train.optimizer = get<std::string>(o, "train", "optimizer");
  c.train.seed = get<int64_t>(o, "train", "seed");
  c.train.shuffle = get<bool>(o, "train", "shuffle");
  c.train.device = get<std::string>(o, "train", "device");
  c.train.threads = get<int64_t>(o, "train", "threads");
  c.train.checkpoint_every = get<int64_t>(o, "train", "checkpoint_every");
  c.report.neighbors = get<int64_t>(o, "report", "neighbors");
  c.report.max_rows = get<int64_t>(o, "report", "max_rows");
  for (const auto& token : o.at("report").at("tokens")) {
    require(token.is_string(), "report.tokens", token, "expected a list of strings", origin);
    c.report.tokens.push_back(token.get<std::string>());
  }
  for (const auto& pair : o.at("report").at("pairs")) {
    require(pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string(),
            "report.pairs", pair, "expected pairs of tokens like [\"happy\", \"sad\"]", origin);
    c.report.pairs.push_back({pair[0].get<std::string>(), pair[1].get<std::string>()});
  }
  validate(c, origin);
  return c;
}

Config load_config_text(const std::string& text, const std::string& path,
                        const std::vector<std::string>& overrides) {
  json merged = to_json(Config{});
  json file;
  try {
    file = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for huge numbers
    throw Error::usage("config file '" + path + "' is not valid JSON: " + json_error_text(e));
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
  std::error_code error;
  if (fs::is_directory(path, error)) throw Error::usage("config file '" + path + "' is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error::usage("cannot read config file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return load_config_text(text.str(), path, overrides);
}

}  // namespace embtrain
