// word_step.cpp — the word model and one batch's loss and gradients (word_step.h).
#include "embtrain/torch/word_step.h"

#include <algorithm>

#include "embtrain/torch/draws.h"
#include "embtrain/torch/matrix_view.h"
#include "embtrain/torch/sparse_grad.h"
#include "embtrain/torch/word_kernels.h"

namespace embtrain {

namespace {

// nn.Embedding(rows, dim) as the reference builds it, whose N(0, 1) values the constructor
// below overwrites: the generator is moved on past them without computing them (draws.h).
torch::nn::Embedding overwritten_embedding(int64_t rows, int64_t dim) {
  skip_normal(rows * dim);
  return torch::nn::Embedding(torch::nn::EmbeddingOptions(rows, dim)._weight(torch::empty({rows, dim})));
}

}  // namespace

WordModelImpl::WordModelImpl(int64_t input_rows, int64_t words, int64_t dim)
    : embedding(register_module("embedding", overwritten_embedding(input_rows, dim))),
      output(register_module("output", overwritten_embedding(words, dim))) {
  torch::NoGradGuard no_grad;
  draw_uniform(embedding->weight, -0.5 / static_cast<double>(dim), 0.5 / static_cast<double>(dim));
  output->weight.zero_();
}

torch::Tensor word_vectors(const torch::Tensor& input_table, const WordRows& rows) {
  torch::NoGradGuard no_grad;
  const torch::Tensor table = input_table.detach().to(torch::kCPU);
  if (!rows.subwords) return table.clone();
  const std::vector<int64_t> starts(rows.offsets.begin(), rows.offsets.end() - 1);  // [V]
  return std::get<0>(torch::embedding_bag(table, int64_tensor(rows.rows), int64_tensor(starts), false, /*mean=*/1));
}

namespace {

// The input side of each example, [P, D]: skip-gram's centre rows, CBOW's bag means (ATen's
// embedding_bag, as Python computes them), on the device of `inputs` (the table's).
torch::Tensor input_side(WordModel& model, const WordBatch& batch, const torch::Tensor& inputs, bool bags) {
  namespace F = torch::nn::functional;
  if (!bags) return model->embedding->weight.index_select(0, inputs);
  const torch::Tensor offsets = int64_tensor(batch.bag_offsets).to(inputs.device());
  return F::embedding_bag(inputs, model->embedding->weight, F::EmbeddingBagFuncOptions().offsets(offsets).mode(torch::kMean));
}

// Each example's true word labelled 1 and its negatives 0, [P, T] like `logits`, and BCE with
// logits summed over them (what both ways of computing a batch report).
struct TrueWordLoss {
  torch::Tensor labels;
  double loss;
};
TrueWordLoss true_word_loss(const torch::Tensor& logits) {
  namespace F = torch::nn::functional;
  torch::Tensor labels = torch::zeros_like(logits);
  labels.select(1, 0).fill_(1.0);
  const double loss = F::binary_cross_entropy_with_logits(
                          logits, labels, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum))
                          .item<double>();
  return {labels, loss};
}

// Each bag's rows and their scale, 1 / the bag's size in float (embedding_bag's
// mean backward: the reciprocal, then a multiply), [inputs] each.
struct BagScales {
  std::vector<int64_t> bag_of;
  std::vector<float> scale;
};

BagScales bag_scales(const WordBatch& batch) {
  BagScales out;
  const auto inputs = static_cast<int64_t>(batch.inputs.size()), bags = static_cast<int64_t>(batch.bag_offsets.size());
  out.bag_of.resize(static_cast<size_t>(inputs));
  out.scale.resize(static_cast<size_t>(inputs));
  for (int64_t bag = 0; bag < bags; ++bag) {
    const int64_t first = batch.bag_offsets[static_cast<size_t>(bag)];
    const int64_t last = bag + 1 < bags ? batch.bag_offsets[static_cast<size_t>(bag + 1)] : inputs;
    std::fill(out.bag_of.begin() + first, out.bag_of.begin() + last, bag);
    std::fill(out.scale.begin() + first, out.scale.begin() + last, 1.0f / static_cast<float>(last - first));
  }
  return out;
}

// [inputs, D]: each context word's value of the uncoalesced gradient, its bag's times the scale.
torch::Tensor bag_input_grads(const BagScales& bags, const torch::Tensor& hidden_grad) {
  const int64_t dim = hidden_grad.size(1), inputs = static_cast<int64_t>(bags.bag_of.size());
  torch::Tensor values = torch::empty({inputs, dim}, torch::kFloat);
  const float* g = hidden_grad.data_ptr<float>();
  float* v = values.data_ptr<float>();
  for (int64_t j = 0; j < inputs; ++j) {
    const int64_t bag = bags.bag_of[static_cast<size_t>(j)];
    const float scale = bags.scale[static_cast<size_t>(j)];
    for (int64_t d = 0; d < dim; ++d) v[j * dim + d] = g[bag * dim + d] * scale;
  }
  return values;
}

// The lookups' inputs and outputs of one batch, and the loss's gradient at the logits.
struct BatchTensors {
  torch::Tensor inputs, words, hidden, g;  // [inputs], [P, T], [P, D], [P, T]
};

// The tables' gradients as autograd's sparse lookups leave them (one row per use, in use
// order) for SGD, whose sparse add takes the uses one by one; coalesced as SparseAdam's
// coalesce() would (sparse_grad.h) for sparse_adam, which sums them first.
void set_grads(WordModel& model, const WordBatch& batch, const BatchTensors& t, bool bags, bool coalesce) {
  torch::Tensor& input_table = model->embedding->weight;
  torch::Tensor& output_table = model->output->weight;
  const int64_t rows = input_table.size(0);
  const torch::Tensor hidden_grad = hidden_grads(t.g, output_table, t.words, t.hidden);  // [P, D]
  const int64_t* input_ids = t.inputs.data_ptr<int64_t>();
  if (!coalesce) {
    output_table.mutable_grad() = at::_sparse_coo_tensor_unsafe(
        t.words.view({1, -1}), output_grads(t.g, t.hidden, output_table, t.words), output_table.sizes());
    const torch::Tensor values = bags ? bag_input_grads(bag_scales(batch), hidden_grad) : hidden_grad;
    input_table.mutable_grad() = at::_sparse_coo_tensor_unsafe(t.inputs.view({1, -1}), values, input_table.sizes());
    return;
  }
  output_table.mutable_grad() = coalesced_output_grads(t.g, t.hidden, output_table, t.words);
  if (bags) {
    const BagScales scales = bag_scales(batch);
    input_table.mutable_grad() =
        coalesced_grad(input_ids, t.inputs.numel(), {hidden_grad, scales.bag_of.data(), scales.scale.data()}, rows);
  } else {
    input_table.mutable_grad() = coalesced_grad(hidden_grad, input_ids, t.inputs.numel(), rows);
  }
}

}  // namespace

// BCE's gradient is sigmoid(logit) − label (ATen's sigmoid, as autograd's backward computes it;
// the sum's gradient of 1 multiplies it exactly).
double batch_loss(WordModel& model, const WordBatch& batch, const torch::Tensor& negatives, bool coalesce,
                  const BatchSlice* slice) {
  if (!model->embedding->weight.is_cpu()) return aten_batch_loss(model, batch, negatives, coalesce);
  const bool bags = !batch.bag_offsets.empty();
  torch::NoGradGuard no_grad;
  BatchTensors t;
  t.inputs = int64_tensor(batch.inputs);
  t.hidden = input_side(model, batch, t.inputs, bags);                                       // [P, D]
  t.words = torch::cat({int64_tensor(batch.targets).unsqueeze(1), negatives}, 1);                // [P, 1 + N]
  const torch::Tensor logits = score_words(t.hidden, model->output->weight, t.words);        // [P, 1 + N]
  const auto [labels, loss] = true_word_loss(logits);
  if (slice != nullptr && slice->total != logits.size(0)) {
    torch::Tensor whole = torch::zeros({slice->total, logits.size(1)});  // [total, 1 + N]
    whole.narrow(0, slice->first, logits.size(0)).copy_(logits);
    t.g = torch::sigmoid(whole).narrow(0, slice->first, logits.size(0)) - labels;
  } else {
    t.g = torch::sigmoid(logits) - labels;  // [P, 1 + N]
  }
  set_grads(model, batch, t, bags, coalesce);
  return loss;
}

// The same loss and gradients from ATen's ops on the tables' device; bmm and coalesce() sum in
// the device's order (CUDA's, or BLAS's on the CPU), so the bits are not the kernels' (gpu-check.sh
// holds CUDA within 1e-5 of the CPU after a run; test_word_step within 1e-5 of the kernels).
double aten_batch_loss(WordModel& model, const WordBatch& batch, const torch::Tensor& negatives, bool coalesce) {
  torch::NoGradGuard no_grad;
  torch::Tensor& input_table = model->embedding->weight;  // [R, D]
  torch::Tensor& output_table = model->output->weight;    // [V, D]
  const torch::Device device = input_table.device();
  const bool bags = !batch.bag_offsets.empty();
  const torch::Tensor inputs = int64_tensor(batch.inputs).to(device);  // [inputs]
  const torch::Tensor hidden = input_side(model, batch, inputs, bags);  // [P, D]
  const torch::Tensor words = torch::cat({int64_tensor(batch.targets).unsqueeze(1), negatives}, 1).to(device);  // [P, T]
  const int64_t examples = words.size(0), targets = words.size(1), dim = input_table.size(1);
  const torch::Tensor rows = output_table.index_select(0, words.view(-1)).view({examples, targets, dim});  // [P, T, D]
  const torch::Tensor logits = torch::bmm(rows, hidden.unsqueeze(2)).squeeze(2);                         // [P, T]
  const auto [labels, loss] = true_word_loss(logits);
  const torch::Tensor g = torch::sigmoid(logits) - labels;                                  // [P, T]
  const torch::Tensor output_values = (g.unsqueeze(2) * hidden.unsqueeze(1)).view({-1, dim});  // [P·T, D]
  torch::Tensor input_values = torch::bmm(g.unsqueeze(1), rows).squeeze(1);                  // [P, D]
  if (bags) {
    const BagScales scales = bag_scales(batch);
    const auto n = static_cast<int64_t>(scales.scale.size());
    input_values = input_values.index_select(0, int64_tensor(scales.bag_of).to(device)) *
                   torch::from_blob(const_cast<float*>(scales.scale.data()), {n, 1}, torch::kFloat).to(device);
  }
  const auto sparse = [&](const torch::Tensor& indices, const torch::Tensor& values, const torch::Tensor& table) {
    torch::Tensor grad = at::_sparse_coo_tensor_unsafe(indices.view({1, -1}), values, table.sizes());
    return coalesce ? grad.coalesce() : grad;
  };
  output_table.mutable_grad() = sparse(words, output_values, output_table);
  input_table.mutable_grad() = sparse(inputs, input_values, input_table);
  return loss;
}

}  // namespace embtrain
