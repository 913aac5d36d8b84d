// model.cpp — ClassifierImpl: construction order and forward pass.
#include "embtrain/model.h"

namespace embtrain {
namespace F = torch::nn::functional;

ClassifierImpl::ClassifierImpl(const ModelConfig& config, int64_t vocab_size, bool sparse)
    : config_(config), sparse_(sparse) {
  const int64_t in_features =
      config.pooling == "flatten" ? config.embedding_dim * config.max_length : config.embedding_dim;
  // Order matters: each reset_parameters() draws from the global generator.
  embedding = register_module(
      "embedding",
      torch::nn::Embedding(
          torch::nn::EmbeddingOptions(vocab_size, config.embedding_dim).sparse(sparse)));
  linear = register_module("linear", torch::nn::Linear(in_features, config.hidden_dim));
  linear_1 = register_module("linear_1", torch::nn::Linear(config.hidden_dim, 1));
}

torch::Tensor ClassifierImpl::forward(const Batch& batch) {
  torch::Tensor x;
  if (config_.pooling == "flatten") {
    x = embedding(batch.ids);                         // [B, L, D]
    if (batch.mask.defined()) x = x * batch.mask;     // padding rows -> 0
    x = x.flatten(1);                                 // [B, L·D]
  } else {
    F::EmbeddingBagFuncOptions options;
    options.offsets(batch.offsets).sparse(sparse_);
    if (config_.pooling == "mean") {
      options.mode(torch::kMean);
    } else if (config_.pooling == "sum") {
      options.mode(torch::kSum);
    } else {
      options.mode(torch::kMax);
    }
    x = F::embedding_bag(batch.ids, embedding->weight, options);  // [B, D]
  }
  x = torch::relu(linear(x));     // [B, H]
  x = linear_1(x);                // [B, 1]
  if (config_.final_relu) x = torch::relu(x);
  return torch::sigmoid(x).squeeze(1);  // [B]
}

}  // namespace embtrain
