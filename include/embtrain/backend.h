// backend.h — the torch half of embtrain, loaded only when a command needs it.
//
// Debian's LibTorch pulls in ~285 shared libraries (~0.7 s). Commands that need
// no tensors (vocab, encode, --help, config errors) should not pay that, so the
// embtrain binary links only the text library and dlopen()s
// libembtrain_torch.so (next to the binary) for the commands that train.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace embtrain {

struct Config;
struct RunOptions;
struct PreparedData;
struct WordVectors;
struct WordCorpus;

struct PredictOptions;
struct EvalOptions;
struct NeighborsOptions;
struct ExportOptions;
struct CompareOptions;

// The version of the interface below. Bump it whenever TorchBackend, or any type its functions
// take, changes: the binary checks the library's version before the first call, so a stale
// libembtrain_torch.so (an old build beside a new binary, or EMBTRAIN_TORCH_LIB) is a clear
// error instead of a call through mismatched pointers.
inline constexpr int kTorchBackendVersion = 5;

struct TorchBackend {
  int (*run_training)(const Config&, const RunOptions&, PreparedData&);
  void (*predict)(const PredictOptions&);
  void (*evaluate_run)(const EvalOptions&);
  void (*nearest_tokens)(const NeighborsOptions&);
  void (*export_embeddings)(const ExportOptions&);
  void (*compare_runs)(const CompareOptions&);
  std::string (*version)();  // "2.13.0 (CPU; no CUDA device)"
  // `inspect --token` on a bounded report: each token's rows from embeddings.pt, as JSON text
  // {token: {found, change_norm, cosine, neighbors: {before, after}}} (saved_run.h).
  std::string (*describe_tokens)(const std::string& run_dir, const std::vector<std::string>& tokens, int64_t k);
  // The run's word rows before or after training, in vocab.txt's order (`similarity`, `analogy`).
  void (*run_word_vectors)(const std::string& run_dir, const std::string& when, WordVectors& out);
  // model.objective skipgram | cbow (word_objective.h).
  int (*run_word_training)(const Config&, const RunOptions&, const WordCorpus&);
};

// Loads the torch library on first use. Throws Error when it cannot.
const TorchBackend& torch_backend();

}  // namespace embtrain

// Exported by libembtrain_torch.so: its interface version, then the function table.
extern "C" int embtrain_torch_backend_version();
extern "C" const embtrain::TorchBackend* embtrain_torch_backend();
