// config_keys.h — the key table: every config key, declared once (internal to the config
// module: config.cpp merges and validates with it, config_keys.cpp renders it for docs).
//
// Each Key reads its field of a Config into JSON (config.json, the defaults that act as the
// schema for merging) and writes a JSON value into it, checking the value's range or choices
// on the way (types were checked against the default by the merge). Its `meaning` is the
// README's key table (`embtrain keys --markdown`).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "embtrain/text/config.h"
#include "embtrain/text/error.h"

namespace embtrain::schema {

enum class KeyKind { boolean, integer, number, text, path, choice, text_list, pair_list };

struct Key {
  std::string name;  // "train.epochs"
  KeyKind kind;
  std::string meaning;
  std::function<nlohmann::json(const Config&)> read;
  std::function<void(Config&, const nlohmann::json&, const std::string& origin)> write;
};

// Every key, in the README's order.
const std::vector<Key>& keys();
bool is_path_key(const std::string& dotted);
// "train.epochs" -> {"train", "epochs"}
std::pair<std::string, std::string> split_key(const std::string& dotted);
// A value as an error message quotes it (at most 60 characters).
std::string describe(const nlohmann::json& value);
// "config key 'KEY' in ORIGIN: WHAT, got VALUE" (usage).
Error bad_value(const std::string& key, const std::string& origin, const std::string& what,
                const nlohmann::json& value);

}  // namespace embtrain::schema
