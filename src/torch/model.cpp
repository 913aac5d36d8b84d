// model.cpp — ClassifierImpl: construction order and forward pass.
#include "embtrain/torch/model.h"

#include "embtrain/text/error.h"
#include "embtrain/text/ngrams.h"
#include "embtrain/text/threads.h"
#include "embtrain/text/vectors.h"
#include "embtrain/text/vocab.h"
#include "embtrain/torch/id_sort.h"

namespace embtrain {
namespace F = torch::nn::functional;

namespace {

// The hot loop of a sparse step, compiled for AVX2 too (no FMA: every product is rounded as
// in PyTorch). Walks the tokens in `order` (ids sorted): a token opens its row's slot of
// `values` with the bag's gradient times its scale, and adds it when the row is already open.
__attribute__((target_clones("avx2", "default"))) void accumulate_bag_grads(
    float* __restrict values, const float* __restrict grad_out, const int64_t* id,
    const int64_t* order, const int64_t* bag_of, const float* scale, int64_t tokens,
    int64_t dim, int64_t* rows) {
  int64_t slot = -1, previous = -1;
  for (int64_t k = 0; k < tokens; ++k) {
    const int64_t t = order[k];
    const int64_t b = bag_of[t];
    const float* __restrict g = grad_out + b * dim;
    const float inverse = scale[b];
    if (id[t] != previous) {
      previous = id[t];
      rows[++slot] = previous;
      float* __restrict row = values + slot * dim;
      for (int64_t d = 0; d < dim; ++d) row[d] = g[d] * inverse;
    } else {
      float* __restrict row = values + slot * dim;
      for (int64_t d = 0; d < dim; ++d) row[d] += g[d] * inverse;
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

// PyTorch's sparse embedding_bag backward gives one value per token, the bag's gradient times
// (1 / bag size) in float; SparseAdam's coalesce() then sums each row's values in the order of
// ids.sort(), LibTorch's unstable sort (PyTorch 2.x). Equal ids come out of that sort in an
// order only it defines, and float addition is not associative, so the same sort here
// (sort_ids, torch/id_sort.h, which splits it over the pool) is what gives the same sums to the
// bit. The result is already coalesced: one row per distinct id.
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

  std::vector<int64_t> sorted(static_cast<size_t>(tokens)), order(static_cast<size_t>(tokens));  // [T] each
  sort_ids(id, tokens, sorted.data(), order.data());
  const int64_t* sorted_ids = sorted.data();
  // first[s]: where distinct row s starts in the sorted order ([K + 1]); a thread sums whole
  // rows, each in the sorted order, so the split changes no bit.
  std::vector<int64_t> first;
  first.reserve(static_cast<size_t>(tokens) + 1);
  for (int64_t k = 0; k < tokens; ++k) {
    if (k == 0 || sorted_ids[k] != sorted_ids[k - 1]) first.push_back(k);
  }
  const auto distinct = static_cast<int64_t>(first.size());
  first.push_back(tokens);

  std::vector<int64_t> bag_of(static_cast<size_t>(tokens));  // bag_of[t]: the bag of token t
  std::vector<float> scale(static_cast<size_t>(bags));       // 1 / bag size (mean) or 1 (sum)
  for (int64_t b = 0; b < bags; ++b) {
    const int64_t begin = offset[b];
    const int64_t end = b + 1 < bags ? offset[b + 1] : tokens;
    std::fill(bag_of.begin() + begin, bag_of.begin() + end, b);
    scale[static_cast<size_t>(b)] = mean && end > begin ? 1.0f / static_cast<float>(end - begin) : 1.0f;
  }

  auto values = torch::empty({distinct, dim}, grad_out.options());  // [K, D]
  auto indices = torch::empty({1, distinct}, torch::kInt64);         // [1, K], sorted, unique
  float* value_rows = values.data_ptr<float>();
  int64_t* row_ids = indices.data_ptr<int64_t>();
  const int64_t* sorted_order = order.data();
  const float* grads = grad_out.data_ptr<float>();
  ThreadPool& pool = shared_pool();
  // The split is over tokens, so that a frequent row does not load one thread: a range of
  // tokens [t0, t1) sums the rows that start in it, whole.
  const auto rows_starting_in = [&](int64_t t0, int64_t t1) {
    const auto s0 = std::lower_bound(first.begin(), first.end() - 1, t0) - first.begin();
    const auto s1 = std::lower_bound(first.begin(), first.end() - 1, t1) - first.begin();
    if (s1 <= s0) return;
    const int64_t from = first[static_cast<size_t>(s0)], to = first[static_cast<size_t>(s1)];
    accumulate_bag_grads(value_rows + s0 * dim, grads, id, sorted_order + from, bag_of.data(), scale.data(),
                         to - from, dim, row_ids + s0);
  };
  if (pool.worth_splitting(tokens * dim)) {
    pool.run(tokens, pool.grain_for(dim), rows_starting_in);
  } else {
    rows_starting_in(0, tokens);
  }
  // Indices are in range, sorted and unique by construction: skip the checks.
  auto grad_weight = at::_sparse_coo_tensor_unsafe(indices, values, {vocab_rows, dim});
  grad_weight._coalesced_(true);
  return {grad_weight, torch::Tensor(), torch::Tensor(), torch::Tensor()};
}

ClassifierImpl::ClassifierImpl(const ModelConfig& config, int64_t vocab_size, bool sparse, int64_t outputs)
    : config_(config), sparse_(sparse) {
  const int64_t in_features =
      config.pooling == Pooling::flatten ? config.embedding_dim * config.max_length : config.embedding_dim;
  // Order matters: each reset_parameters() draws from the global generator.
  embedding = register_module(
      "embedding",
      torch::nn::Embedding(
          torch::nn::EmbeddingOptions(vocab_size, config.embedding_dim).sparse(sparse)));
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
      return head(PooledEmbedding::apply(embedding->weight, batch.ids, batch.offsets,
                                         config_.pooling == Pooling::mean));
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
      torch::nn::init::uniform_(weight, -1.0 / dim, 1.0 / dim);
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
