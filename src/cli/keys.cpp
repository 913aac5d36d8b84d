// keys.cpp — `embtrain keys`: every config key with its default and meaning, from the one key
// table that parses and validates configs (config.cpp). `--markdown` prints the README's table.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "embtrain/text/config.h"

namespace embtrain::cli {

void setup_keys(CLI::App& app) {
  auto markdown = std::make_shared<bool>(false);
  CLI::App* command = app.add_subcommand(
      "keys", "List every config key with its default and meaning (key<TAB>default<TAB>meaning)");
  command->add_flag("--markdown", *markdown, "Print the README's key table instead");
  command->footer(
      "Examples:\n"
      "  embtrain keys | grep '^train\\.'\n"
      "  embtrain train --config configs/seed.json --set train.epochs=5");
  command->callback([markdown] {
    std::cout << (*markdown ? config_keys_markdown() : config_keys_text());
  });
}

}  // namespace embtrain::cli
