// vocab.cpp — `embtrain vocab`: the vocabulary a config gives, without training.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/text/vocab.h"

namespace embtrain::cli {
namespace {

struct VocabOptions {
  ConfigOptions config;
  bool json = false;
};

void run_vocab(const VocabOptions& options) {
  apply_logging(options.config);
  const Config config = load_config(options.config.config_path, options.config.overrides);
  Tokenizer tokenizer(TokenizerOptions::from(config.vocab));
  const TextDataset text =
      read_dataset(config.data.train, config.data.format, config.data.skip_bad_lines);
  const TokenCounts counts = count_tokens(text, tokenizer);
  const Vocab vocab = make_vocab(config.vocab, counts);
  const std::vector<int64_t> token_counts = counts_for(vocab, counts);
  for (int64_t id = 0; id < vocab.size(); ++id) {
    if (options.json) {
      std::cout << nlohmann::json{{"index", id},
                                  {"token", vocab.token(id)},
                                  {"count", token_counts[static_cast<size_t>(id)]}}
                       .dump()
                << '\n';
    } else {
      std::cout << id << '\t' << vocab.token(id) << '\t' << token_counts[static_cast<size_t>(id)]
                << '\n';
    }
  }
}

}  // namespace

void setup_vocab(CLI::App& app) {
  auto options = std::make_shared<VocabOptions>();
  CLI::App* command = app.add_subcommand(
      "vocab", "Print the vocabulary the config builds: index<TAB>token<TAB>training count");
  add_config_options(*command, options->config);
  command->add_flag("--json", options->json, "One JSON object per token: {index, token, count}");
  command->footer("Example:\n  embtrain vocab --config configs/seed.json");
  command->callback([options] { run_vocab(*options); });
}

}  // namespace embtrain::cli
