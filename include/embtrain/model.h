// model.h — the article's classifier as a torch::nn module.
//
//   ids ─ Embedding(V, D) ─ pooling ─ Linear(in, H) ─ ReLU ─ Linear(H, 1)
//       ─ [ReLU if final_relu] ─ Sigmoid ─ probability [B]
//
// pooling "flatten" (the article) pads/truncates each sentence to L =
// max_length tokens and concatenates their vectors (in = L·D); "mean", "sum"
// and "max" reduce a sentence's vectors with embedding_bag (in = D).
// Submodules are registered in the article's order and under its names
// (embedding, linear, linear_1), so one seed gives Python's initial weights.
#pragma once

#include <torch/torch.h>

#include "embtrain/config.h"

namespace embtrain {

// One batch on the model's device.
struct Batch {
  torch::Tensor ids;      // flatten: [B, L] int64; bags: [T] int64 (all sentences back to back)
  torch::Tensor offsets;  // bags: [B] int64 start of each sentence in ids; flatten: undefined
  torch::Tensor mask;     // flatten: [B, L, 1] float, 0 at padding; undefined when nothing is padded
  torch::Tensor labels;   // [B] float
  int64_t size = 0;
};

class ClassifierImpl : public torch::nn::Module {
 public:
  // `sparse`: the embedding produces sparse gradients (for sparse_adam).
  ClassifierImpl(const ModelConfig& config, int64_t vocab_size, bool sparse);

  // Probabilities [B].
  torch::Tensor forward(const Batch& batch);

  torch::nn::Embedding embedding{nullptr};
  torch::nn::Linear linear{nullptr};
  torch::nn::Linear linear_1{nullptr};

 private:
  ModelConfig config_;
  bool sparse_;
};
TORCH_MODULE(Classifier);

}  // namespace embtrain
