// export.cpp — `embtrain export`: a run's embeddings in formats other tools load.
#include <memory>

#include "cli/commands.h"
#include "embtrain/backend.h"
#include "embtrain/saved_run.h"

namespace embtrain::cli {

void setup_export(CLI::App& app) {
  auto options = std::make_shared<ExportOptions>();
  auto run = std::make_shared<RunArgument>();
  CLI::App* command = app.add_subcommand("export", "Write a run's embeddings for other tools");
  add_run_argument(*command, *run, nullptr, nullptr);
  command
      ->add_option("--format", options->format,
                   "vec: word2vec/fastText text (gensim load_word2vec_format, fastText "
                   "-pretrainedVectors, embtrain model.pretrained); word2vec-bin: word2vec binary; "
                   "projector: a folder for the TensorBoard Embedding Projector with before and "
                   "after in one projection; torch: torch.load -> {vocab, weights, before, after}. "
                   "Default: from --output (.vec/.txt, .bin, .pt, a folder or a path ending in /)")
      ->check(CLI::IsMember({"vec", "word2vec-bin", "projector", "torch"}));
  command->add_option("--when", options->when, "before | after (which weights vec/word2vec-bin/torch 'weights' hold)")
      ->check(CLI::IsMember({"before", "after"}))
      ->capture_default_str();
  command->add_option("-o,--output", options->output,
                      "File to write (a folder for projector); missing parent folders are made")
      ->required();
  command->footer(
      "Examples:\n"
      "  embtrain export runs/seed --output seed.vec\n"
      "  embtrain export runs/seed --output seed-projector/          # projector\n"
      "  embtrain export runs/seed --format torch --output out/seed.pt --when before");
  command->callback([options, run] {
    options->run_dir = resolve_run(*run, "export", false);
    torch_backend().export_embeddings(*options);
  });
}

}  // namespace embtrain::cli
