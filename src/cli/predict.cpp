// predict.cpp — `embtrain predict`: probabilities for new text from a finished run.
#include <memory>

#include "cli/commands.h"
#include "embtrain/backend.h"
#include "embtrain/saved_run.h"

namespace embtrain::cli {

void setup_predict(CLI::App& app) {
  auto options = std::make_shared<PredictOptions>();
  CLI::App* command = app.add_subcommand(
      "predict",
      "Classify text with a trained run: one line per input, probability<TAB>label<TAB>text "
      "(label 1 when the probability is > 0.5)");
  command->add_option("-r,--run", options->run_dir, "Run folder written by `embtrain train`")->required();
  command->add_option("text", options->texts, "Sentences (default: one per stdin line, streamed)");
  command->add_flag("--json", options->json, "JSON lines: {probability, label, text}");
  command->footer(
      "Examples:\n"
      "  embtrain predict --run runs/seed \"I am happy\" \"News is terrible\"\n"
      "  cut -f2 data/seed/train.tsv | embtrain predict --run runs/seed --json");
  command->callback([options] { torch_backend().predict(*options); });
}

}  // namespace embtrain::cli
