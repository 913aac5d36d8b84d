// checkpoint.h — a run's state on disk, to continue it exactly.
//
// checkpoint.pt (a LibTorch archive) holds the model's parameters, the
// optimizer's state (Adam moments and step counts, SparseAdam's too), the
// shuffle generator's state, where training stands (TrainProgress) and the
// metrics lines so far. A run resumed from it gives the same weights, bit for
// bit, as the run that was never interrupted.
#pragma once

#include <torch/torch.h>

#include <string>

#include "embtrain/torch/model.h"
#include "embtrain/torch/trainer.h"

namespace embtrain {

// `fingerprint`: what the checkpoint belongs to (text/fingerprint.h's to_text).
void save_checkpoint(const std::string& path, Classifier& model, const torch::optim::Optimizer& optimizer,
                     const TrainProgress& progress, const std::string& metrics_lines,
                     const std::string& fingerprint = "");

// The checkpoint archive at `path`, vetted first (LibTorch would build a tensor over a record
// shorter than it claims); an Error naming the file when it is not a readable checkpoint.
torch::serialize::InputArchive open_checkpoint(const std::string& path);

// The fingerprint a checkpoint was saved with ("" for one from before fingerprints), read
// without loading the rest: --resume compares it before anything else.
std::string read_checkpoint_fingerprint(const std::string& path);

// Loads into a model and optimizer built from the same config and vocabulary;
// a checkpoint of another shape is an Error naming the file.
void load_checkpoint(const std::string& path, Classifier& model, torch::optim::Optimizer& optimizer,
                     TrainProgress& progress, std::string& metrics_lines);

}  // namespace embtrain
