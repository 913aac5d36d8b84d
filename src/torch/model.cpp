// model.cpp — ClassifierImpl: construction order and forward pass.
#include "embtrain/torch/model.h"

#include "embtrain/text/error.h"
#include "embtrain/text/ngrams.h"
#include "embtrain/text/threads.h"
#include "embtrain/text/vectors.h"
#include "embtrain/text/vocab.h"
#include "embtrain/torch/draws.h"
#include "embtrain/torch/sparse_grad.h"

namespace embtrain {
namespace F = torch::nn::functional;

torch::Tensor PooledEmbedding::forward(torch::autograd::AutogradContext* ctx,
                                       const torch::Tensor& weight, const torch::Tensor& ids,
                                       const torch::Tensor& offsets, bool mean, bool sort_ahead) {
  ctx->save_for_backward({ids, offsets});
  ctx->saved_data["rows"] = weight.size(0);
  ctx->saved_data["mean"] = mean;
  if (sort_ahead) {
    const SortedIds ahead = sort_ids_ahead(ids.contiguous());
    if (ahead.sorted.defined()) {
      ctx->saved_data["sorted"] = ahead.sorted;
      ctx->saved_data["order"] = ahead.order;
    }
  }
  return std::get<0>(torch::embedding_bag(weight, ids, offsets, false, mean ? 1 : 0));
}

// PyTorch's sparse embedding_bag backward and SparseAdam's coalesce(), in one pass
// (sparse_grad.h): the result is already coalesced, one row per distinct id.
torch::autograd::tensor_list PooledEmbedding::backward(torch::autograd::AutogradContext* ctx,
                                                       torch::autograd::tensor_list grad_outputs) {
  const auto saved = ctx->get_saved_variables();
  const torch::Tensor ids = saved[0].contiguous();      // [T]
  const torch::Tensor offsets = saved[1].contiguous();  // [B]
  const int64_t vocab_rows = ctx->saved_data["rows"].toInt();
  const bool mean = ctx->saved_data["mean"].toBool();
  const torch::Tensor grad_out = grad_outputs[0].contiguous();  // [B, D]
  const int64_t tokens = ids.size(0), bags = offsets.size(0);
  const int64_t* id = ids.data_ptr<int64_t>();
  const int64_t* offset = offsets.data_ptr<int64_t>();

  std::vector<int64_t> bag_of(static_cast<size_t>(tokens));  // bag_of[t]: the bag of token t
  std::vector<float> scale(static_cast<size_t>(tokens));     // 1 / its bag's size (mean) or 1 (sum)
  for (int64_t b = 0; b < bags; ++b) {
    const int64_t begin = offset[b];
    const int64_t end = b + 1 < bags ? offset[b + 1] : tokens;
    std::fill(bag_of.begin() + begin, bag_of.begin() + end, b);
    std::fill(scale.begin() + begin, scale.begin() + end,
              mean && end > begin ? 1.0f / static_cast<float>(end - begin) : 1.0f);
  }
  SortedIds ahead;
  if (ctx->saved_data.count("sorted")) {
    ahead = {ctx->saved_data["sorted"].toTensor(), ctx->saved_data["order"].toTensor()};
  }
  const auto grad_weight = coalesced_grad(id, tokens, {grad_out, bag_of.data(), scale.data()}, vocab_rows, ahead);
  return {grad_weight, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
}

ClassifierImpl::ClassifierImpl(const ModelConfig& config, int64_t vocab_size, bool sparse, int64_t outputs,
                               TableStart start)
    : config_(config), sparse_(sparse) {
  const int64_t in_features =
      config.pooling == Pooling::flatten ? config.embedding_dim * config.max_length : config.embedding_dim;
  // Order matters: each reset_parameters() draws from the global generator. nn.Embedding's
  // draws N(0, 1) (split over the pool, same bits); under another model.init the values are
  // overwritten by init_embedding, so only the generator is moved on past them. A loaded
  // model's values are replaced by its file's (the Linear layers below still draw: they are small).
  torch::Tensor table = torch::empty({vocab_size, config.embedding_dim});  // [V, D]
  if (start == TableStart::drawn) {
    if (config.init == EmbeddingInit::normal) {
      draw_normal(table, 0.0, 1.0);
    } else {
      skip_normal(table.numel());
    }
  }
  embedding = register_module(
      "embedding",
      torch::nn::Embedding(
          torch::nn::EmbeddingOptions(vocab_size, config.embedding_dim).sparse(sparse)._weight(table)));
  linear = register_module("linear", torch::nn::Linear(in_features, config.hidden_dim));
  linear_1 = register_module("linear_1", torch::nn::Linear(config.hidden_dim, outputs));
}

torch::Tensor ClassifierImpl::forward(const Batch& batch) {
  torch::Tensor x;
  if (config_.pooling == Pooling::flatten) {
    x = embedding(batch.ids);                         // [B, L, D]
    if (batch.mask.defined()) x = x * batch.mask;     // padding rows -> 0
    x = x.flatten(1);                                 // [B, L·D]
  } else {
    if (grad_rows_unique()) {
      // Sorted ahead only where a backward pass will follow (not in evaluation).
      const bool sort_ahead = torch::GradMode::is_enabled() && embedding->weight.requires_grad();
      return head(PooledEmbedding::apply(embedding->weight, batch.ids, batch.offsets,
                                         config_.pooling == Pooling::mean, sort_ahead));
    }
    F::EmbeddingBagFuncOptions options;
    options.offsets(batch.offsets).sparse(sparse_);
    if (config_.pooling == Pooling::mean) {
      options.mode(torch::kMean);
    } else if (config_.pooling == Pooling::sum) {
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
  x = torch::sigmoid(x);                      // [B, C]
  return x.size(1) == 1 ? x.squeeze(1) : x;  // [B] for one output
}

bool ClassifierImpl::grad_rows_unique() const {
  return sparse_ && (config_.pooling == Pooling::mean || config_.pooling == Pooling::sum) &&
         embedding->weight.device().is_cpu();
}

int64_t output_count(const Config& config) {
  return config.data.labels.empty() ? 1 : static_cast<int64_t>(config.data.labels.size());
}

void init_embedding(torch::Tensor weight, EmbeddingInit init) {
  torch::NoGradGuard no_grad;
  const double dim = static_cast<double>(weight.size(1));
  switch (init) {
    case EmbeddingInit::normal:  // Embedding's own reset_parameters() drew N(0, 1) already
      return;
    case EmbeddingInit::uniform:  // Python: nn.init.uniform_(w, -1 / D, 1 / D)
      draw_uniform(weight, -1.0 / dim, 1.0 / dim);
      return;
    case EmbeddingInit::xavier_uniform:  // fan_in = D, fan_out = V, as Python computes them
      torch::nn::init::xavier_uniform_(weight);
      return;
  }
}

Classifier create_model(const Config& config, const Vocab& vocab, const WordVectors* pretrained,
                        int64_t* missing) {
  torch::manual_seed(static_cast<uint64_t>(config.train.seed));
  Classifier model(config.model, table_rows(config.vocab, vocab.size()),
                   config.train.optimizer == OptimizerKind::sparse_adam, output_count(config));
  init_embedding(model->embedding->weight, config.model.init);
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
