// python_file.h — files that Python's torch.load reads: embeddings.pt and `export --format torch`.
//
// The format is torch.save's zip archive (data.pkl + one record per tensor), written as
// LibTorch's torch::pickle_save writes it but streamed through a Sink, so that a large
// [V, D] matrix is never copied into one in-memory archive first, and a full disk stops at
// the first failed write. Dicts and lists are written without the type tags TorchScript adds
// (torch.jit._pickle.restore_type_tag): PyTorch 2.6 and later load with weights_only=True by
// default, and that refuses them.
#pragma once

#include <torch/torch.h>

#include <string>

#include "embtrain/text/io.h"

namespace embtrain {

// Writes `value` (tensors, strings, numbers, and lists and str-keyed dicts of them) to `sink`.
void save_for_python(const c10::IValue& value, const Sink& sink);

// The same, to `path`, whole or not at all (io.h's write_atomically).
void write_for_python(const std::string& path, const c10::IValue& value);

}  // namespace embtrain
