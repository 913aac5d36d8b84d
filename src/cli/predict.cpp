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
      "Classify text with a trained run, one line per input. Binary (0/1) runs: "
      "probability<TAB>label<TAB>text (label 1 when the probability is > 0.5). Multi-label runs: "
      "labels<TAB>probabilities<TAB>text, the k most probable labels (comma-separated, most "
      "probable first) whose probability is >= --threshold");
  command->add_option("-r,--run", options->run_dir, "Run folder written by `embtrain train`")->required();
  command->add_option("text", options->texts, "Sentences (default: one per stdin line, streamed)");
  command->add_flag("--json", options->json,
                    "JSON lines: {probability, label, text}, or {labels: [{label, probability}], text}");
  command->add_option("-k", options->k, "Multi-label runs: how many labels to print (the most probable)")
      ->capture_default_str();
  command->add_option("--threshold", options->threshold,
                      "Multi-label runs: print only labels with at least this probability")
      ->capture_default_str();
  command->footer(
      "Examples:\n"
      "  embtrain predict --run runs/seed \"I am happy\" \"News is terrible\"\n"
      "  cut -f2 data/seed/train.tsv | embtrain predict --run runs/seed --json\n"
      "  embtrain predict --run runs/topics -k 3 --threshold 0.2 \"tax cuts for small business\"");
  command->callback([options] { torch_backend().predict(*options); });
}

}  // namespace embtrain::cli
