// model.cpp — ClassifierImpl: construction order and forward pass.
#include "embtrain/model.h"

#include "embtrain/error.h"
#include "embtrain/vectors.h"
#include "embtrain/vocab.h"

namespace embtrain {
namespace F = torch::nn::functional;

namespace {

// values[slot[id[t]]] += grad_out[bag(t)] * (1 / bag size): the hot loop of a
// sparse step, compiled for AVX2 too (no FMA: every product is rounded as in PyTorch).
__attribute__((target_clones("avx2", "default"))) void accumulate_bag_grads(
    float* __restrict values, const float* __restrict grad_out, const int64_t* id,
    const int64_t* offset, int64_t tokens, int64_t bags, int64_t dim, const int64_t* slot,
    bool mean) {
  std::vector<float> scaled(static_cast<size_t>(dim));
  float* __restrict s = scaled.data();
  for (int64_t b = 0; b < bags; ++b) {
    const int64_t begin = offset[b];
    const int64_t end = b + 1 < bags ? offset[b + 1] : tokens;
    if (end == begin) continue;
    // As PyTorch: the bag's gradient times (1 / bag size), in float.
    const float inverse = mean ? 1.0f / static_cast<float>(end - begin) : 1.0f;
    for (int64_t d = 0; d < dim; ++d) s[d] = grad_out[b * dim + d] * inverse;
    for (int64_t t = begin; t < end; ++t) {
      float* __restrict row = values + slot[id[t]] * dim;
      for (int64_t d = 0; d < dim; ++d) row[d] += s[d];
    }
  }
}

}  // namespace

torch::Tensor PooledEmbedding::forward(torch::autograd::AutogradContext* ctx,
                                       const torch::Tensor& weight, const torch::Tensor& ids,
                                       const torch::Tensor& offsets, bool mean) {
  ctx->save_for_backward({ids, offsets});
  ctx->saved_data["rows"] = weight.size(0);
  ctx->saved_data["mean"] = mean;
  return std::get<0>(torch::embedding_bag(weight, ids, offsets, false, mean ? 1 : 0));
}

torch::autograd::tensor_list PooledEmbedding::backward(torch::autograd::AutogradContext* ctx,
                                                       torch::autograd::tensor_list grad_outputs) {
  const auto saved = ctx->get_saved_variables();
  const torch::Tensor ids = saved[0].contiguous();      // [T]
  const torch::Tensor offsets = saved[1].contiguous();  // [B]
  const int64_t vocab_rows = ctx->saved_data["rows"].toInt();
  const bool mean = ctx->saved_data["mean"].toBool();
  const torch::Tensor grad_out = grad_outputs[0].contiguous();  // [B, D]
  const int64_t tokens = ids.size(0), bags = offsets.size(0), dim = grad_out.size(1);
  const int64_t* id = ids.data_ptr<int64_t>();
  const int64_t* offset = offsets.data_ptr<int64_t>();
  const float* g = grad_out.data_ptr<float>();

  // Distinct rows, sorted; slot[row] = its position. `slot` persists across
  // calls (sized to the vocabulary) and is reset after use, so a step costs O(T).
  thread_local std::vector<int64_t> slot;
  if (static_cast<int64_t>(slot.size()) < vocab_rows) slot.assign(static_cast<size_t>(vocab_rows), -1);
  std::vector<int64_t> rows;
  for (int64_t t = 0; t < tokens; ++t) {
    if (slot[static_cast<size_t>(id[t])] < 0) {
      slot[static_cast<size_t>(id[t])] = 0;
      rows.push_back(id[t]);
    }
  }
  std::sort(rows.begin(), rows.end());
  for (size_t k = 0; k < rows.size(); ++k) slot[static_cast<size_t>(rows[k])] = static_cast<int64_t>(k);

  auto values = torch::zeros({static_cast<int64_t>(rows.size()), dim}, grad_out.options());  // [K, D]
  accumulate_bag_grads(values.data_ptr<float>(), g, id, offset, tokens, bags, dim, slot.data(), mean);
  for (const int64_t row : rows) slot[static_cast<size_t>(row)] = -1;

  auto indices = torch::from_blob(rows.data(), {1, static_cast<int64_t>(rows.size())}, torch::kInt64).clone();
  // Indices are in range, sorted and unique by construction: skip the checks.
  auto grad_weight = at::_sparse_coo_tensor_unsafe(indices, values, {vocab_rows, dim});
  grad_weight._coalesced_(true);
  return {grad_weight, torch::Tensor(), torch::Tensor(), torch::Tensor()};
}

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
    if (grad_rows_unique()) {
      return head(PooledEmbedding::apply(embedding->weight, batch.ids, batch.offsets,
                                         config_.pooling == "mean"));
    }
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
  return head(x);
}

torch::Tensor ClassifierImpl::head(torch::Tensor x) {
  x = torch::relu(linear(x));  // [B, H]
  x = linear_1(x);             // [B, 1]
  if (config_.final_relu) x = torch::relu(x);
  return torch::sigmoid(x).squeeze(1);  // [B]
}

bool ClassifierImpl::grad_rows_unique() const {
  return sparse_ && (config_.pooling == "mean" || config_.pooling == "sum") &&
         embedding->weight.device().is_cpu();
}

Classifier create_model(const Config& config, const Vocab& vocab, const WordVectors* pretrained,
                        int64_t* missing) {
  torch::manual_seed(static_cast<uint64_t>(config.train.seed));
  Classifier model(config.model, vocab.size(), config.train.optimizer == "sparse_adam");
  if (pretrained) {
    if (pretrained->dim != config.model.embedding_dim) {
      throw Error::usage("model.pretrained '" + config.model.pretrained + "' has " +
                         std::to_string(pretrained->dim) + "-dimensional vectors but model.embedding_dim is " +
                         std::to_string(config.model.embedding_dim));
    }
    torch::NoGradGuard no_grad;
    auto weight = model->embedding->weight;  // [V, D]
    auto* w = weight.data_ptr<float>();
    int64_t absent = 0;
    for (int64_t id = 0; id < vocab.size(); ++id) {
      const int64_t row = pretrained->vocab.find(vocab.token(id));
      if (row < 0) {
        ++absent;
        continue;
      }
      std::copy_n(pretrained->values.data() + row * pretrained->dim, pretrained->dim, w + id * pretrained->dim);
    }
    if (missing) *missing = absent;
  }
  if (config.model.freeze_embedding) model->embedding->weight.set_requires_grad(false);
  return model;
}

}  // namespace embtrain
