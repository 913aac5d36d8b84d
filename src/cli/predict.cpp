// predict.cpp — `embtrain predict`: probabilities for new text from a finished run.
#include <memory>

#include "cli/commands.h"
#include "embtrain/backend.h"
#include "embtrain/saved_run.h"

namespace embtrain::cli {

void setup_predict(CLI::App& app) {
  auto options = std::make_shared<PredictOptions>();
  auto run = std::make_shared<RunArgument>();
  CLI::App* command = app.add_subcommand(
      "predict",
      "Classify text with a trained run, one line per input. Binary (0/1) runs: "
      "probability<TAB>label<TAB>text (label 1 when the probability is > --threshold, 0.5 by "
      "default), or with -k 2 both labels as multi-label runs print them. Multi-label runs: "
      "labels<TAB>probabilities<TAB>text, the k most probable labels (comma-separated, most "
      "probable first) whose probability is >= --threshold");
  add_run_argument(*command, *run, "TEXT", "the sentences (default: one per stdin line, streamed)");
  command->add_flag("--json", options->json,
                    "JSON lines: {probability, label, text}, or {labels: [{label, probability}], text}");
  command->add_option("-k", options->k,
                      "How many labels to print, the most probable first (binary runs: 1 or 2)")
      ->capture_default_str();
  command->add_option("--threshold", options->threshold,
                      "Multi-label runs: print only labels with at least this probability (default 0). "
                      "Binary runs: label 1 when the probability is above it (default 0.5)");
  command->footer(
      "Examples:\n"
      "  embtrain predict runs/seed \"I am happy\" \"News is terrible\"\n"
      "  embtrain predict runs/seed --threshold 0.6 -k 2 \"I am happy\"\n"
      "  cut -f2 data/seed/train.tsv | embtrain predict runs/seed --json\n"
      "  embtrain predict runs/topics -k 3 --threshold 0.2 \"tax cuts for small business\"");
  command->callback([options, run] {
    options->run_dir = resolve_run(*run, "predict", true, &options->texts);
    torch_backend().predict(*options);
  });
}

}  // namespace embtrain::cli
