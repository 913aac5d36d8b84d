// backend.h — the torch half of embtrain, loaded only when a command needs it.
//
// Debian's LibTorch pulls in ~285 shared libraries (~0.7 s). Commands that need
// no tensors (vocab, encode, --help, config errors) should not pay that, so the
// embtrain binary links only the text library and dlopen()s
// libembtrain_torch.so (next to the binary) for the commands that train.
#pragma once

#include <string>

namespace embtrain {

struct Config;
struct RunOptions;
struct PreparedData;

struct TorchBackend {
  void (*run_training)(const Config&, const RunOptions&, PreparedData&);
  std::string (*version)();  // "1.13.0"
};

// Loads the torch library on first use. Throws Error when it cannot.
const TorchBackend& torch_backend();

}  // namespace embtrain

// Exported by libembtrain_torch.so.
extern "C" const embtrain::TorchBackend* embtrain_torch_backend();
