// eval.cpp — `embtrain eval`: a finished run scored on a labelled data file.
#include <memory>

#include "cli/commands.h"
#include "embtrain/backend.h"
#include "embtrain/saved_run.h"

namespace embtrain::cli {

void setup_eval(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  auto run = std::make_shared<RunArgument>();
  CLI::App* command = app.add_subcommand(
      "eval", "Score a trained run on labelled data: loss, accuracy, precision, recall, F1, ROC AUC, "
              "confusion matrix");
  add_run_argument(*command, *run, nullptr, nullptr);
  command->add_option("-d,--data", options->data, "Labelled data (TSV, JSONL or fastText)")->required();
  command->add_option("--format", options->format, "auto | tsv | jsonl | fasttext")
      ->check(CLI::IsMember({"auto", "tsv", "jsonl", "fasttext"}))
      ->capture_default_str();
  command->add_flag("--json", options->json, "One JSON object");
  command->footer("Example:\n  embtrain eval runs/spam --data data/spam/test.txt");
  command->callback([options, run] {
    options->run_dir = resolve_run(*run, "eval", false);
    torch_backend().evaluate_run(*options);
  });
}

}  // namespace embtrain::cli
