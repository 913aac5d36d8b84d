// config.cpp — defaults < file < --set, type and range checks, "did you mean".
#include "embtrain/text/config.h"
#include "embtrain/text/config_keys.h"

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

using namespace schema;

using nlohmann::json;
namespace fs = std::filesystem;

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


// The keys a word objective cannot take, and the one format only it reads.
void check_objective(const Config& c, const std::string& origin) {
  if (!is_word_objective(c.model.objective)) {
    if (c.data.format == DataFormat::text) {
      throw Error::usage("config " + origin + ": data.format 'text' is raw text without labels, which "
                         "model.objective 'classify' cannot learn from; set model.objective to skipgram or "
                         "cbow, or give labelled data (tsv, jsonl, fasttext)");
    }
    if (c.train.early_stopping == EarlyStopping::spearman) {
      throw Error::usage("config " + origin + ": train.early_stopping 'spearman' scores word vectors on a pairs "
                         "file, which model.objective 'classify' does not learn; use loss, accuracy or f1");
    }
    return;
  }
  const std::string objective = to_string(c.model.objective);
  const auto refuse = [&](const std::string& key, const std::string& why) {
    throw Error::usage("config " + origin + ": " + key + " does not apply to model.objective '" + objective +
                       "': " + why);
  };
  if (!c.data.labels.empty()) refuse("data.labels", "word objectives read raw text and learn no labels; remove it");
  if (!c.data.label_names.empty()) refuse("data.label_names", "word objectives learn no labels; remove it");
  if (!c.vocab.specials.empty()) refuse("vocab.specials", "a word run has a row per word of the text and drops the rest; remove them");
  if (c.vocab.word_ngrams > 1) refuse("vocab.word_ngrams", "word objectives train one row per word; set it to 1");
  if (c.train.optimizer == OptimizerKind::adam) {
    refuse("train.optimizer 'adam'", "dense Adam would update every row of both tables each step; use sgd or sparse_adam");
  }
  if (c.train.early_stopping != EarlyStopping::off && c.train.early_stopping != EarlyStopping::spearman) {
    refuse("train.early_stopping '" + std::string(to_string(c.train.early_stopping)) + "'",
           "a word run is scored on a pairs file (data.valid): use spearman, or off");
  }
  if (c.train.warmup_steps > 0) refuse("train.warmup_steps", "word runs decay from train.lr at once; set it to 0");
  if (!c.model.pretrained.empty()) refuse("model.pretrained", "not built for word objectives yet; remove it");
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
  if (!is_word_objective(c.model.objective) && (c.vocab.word_ngrams > 1 || c.vocab.subwords) &&
      c.model.pooling == Pooling::flatten) {
    throw Error::usage("config " + origin + ": vocab.word_ngrams > 1 and vocab.subwords add hashed rows "
                       "to a sentence's bag of ids, which model.pooling 'flatten' (a fixed row per "
                       "position) cannot take; set model.pooling to mean, sum or max");
  }
  check_objective(c, origin);
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

Config config_from_json(const json& o, const std::string& origin) {
  Config c;
  for (const auto& key : keys()) {
    const auto [section, leaf] = split_key(key.name);
    key.write(c, o.at(section).at(leaf), origin);
  }
  validate(c, origin);
  return c;
}

DataFormat parse_data_format(const std::string& name, const std::string& what) {
  for (size_t i = 0; i < kDataFormatNames.size(); ++i) {
    if (name == kDataFormatNames[i]) return static_cast<DataFormat>(i);
  }
  throw Error::usage(what + " must be auto, tsv, jsonl, fasttext or text, got '" + name + "'");
}

namespace {

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
