// fuzz_checkpoint.cpp — libFuzzer harness: checkpoint.pt as `train --resume` reads it (the
// fingerprint first, then the whole archive into the article's model and optimizer). Only
// embtrain::Error may come out: a hostile checkpoint must never crash or hang a resume.
#include <torch/torch.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "embtrain/text/error.h"
#include "embtrain/torch/checkpoint.h"
#include "embtrain/torch/optimizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/embtrain-fuzz-checkpoint-" + std::to_string(::getpid()) + ".pt";
  if (FILE* file = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, file);
    std::fclose(file);
  }
  embtrain::ModelConfig model_config;  // the article's model: 20 rows, flatten
  embtrain::TrainConfig train_config;
  embtrain::Classifier model(model_config, 20, false);
  auto optimizer = embtrain::make_optimizer(model, train_config);
  embtrain::TrainProgress progress;
  std::string metrics;
  try {
    embtrain::read_checkpoint_fingerprint(path);
    embtrain::load_checkpoint(path, model, *optimizer, progress, metrics);
  } catch (const embtrain::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
