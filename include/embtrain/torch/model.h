// model.h — the article's classifier as a torch::nn module.
//
//   ids ─ Embedding(R, D) ─ pooling ─ Linear(in, H) ─ ReLU ─ Linear(H, C)
//       ─ [ReLU if final_relu] ─ Sigmoid ─ probability [B] (C = 1) or [B, C]
//
// R rows: the vocabulary, then any hashed n-gram rows (text/ngrams.h). C outputs: 1 for 0/1
// labels (the article), else one per label of data.labels (text/labels.h).
//
// pooling "flatten" (the article) pads/truncates each sentence to L =
// max_length tokens and concatenates their vectors (in = L·D); "mean", "sum"
// and "max" reduce a sentence's vectors with embedding_bag (in = D).
// Submodules are registered in the article's order and under its names
// (embedding, linear, linear_1), so one seed gives Python's initial weights.
#pragma once

#include <torch/torch.h>

#include "embtrain/text/config.h"

namespace embtrain {

class Vocab;
struct WordVectors;

// One batch on the model's device.
struct Batch {
  torch::Tensor ids;      // flatten: [B, L] int64; bags: [T] int64 (all sentences back to back)
  torch::Tensor offsets;  // bags: [B] int64 start of each sentence in ids; flatten: undefined
  torch::Tensor mask;     // flatten: [B, L, 1] float, 0 at padding; undefined when nothing is padded
  torch::Tensor labels;   // [B] float 0/1, or [B, C] multi-hot for a multi-label run
  int64_t size = 0;
};

// Mean/sum pooling over a CPU embedding whose backward writes the sparse
// gradient directly in coalesced form: one row per distinct token of the
// batch, rows sorted. Autograd through embedding_bag(sparse=true) yields one
// row per token occurrence instead, and coalescing those (a sort of every id
// in the batch) was the largest cost of a training step. Forward is
// torch::embedding_bag itself; backward computes what
// _embedding_bag_sparse_backward + coalesce compute:
//   grad[row] = sum over occurrences t of row: grad_out[bag(t)] * (1 / len(bag)) (mean)
// With `sort_ahead` (a training step, whose backward will run) the batch's ids are sorted on a
// worker of the pool while the forward pass and the dense layers run (sparse_grad.h).
class PooledEmbedding : public torch::autograd::Function<PooledEmbedding> {
 public:
  // weight [V, D] float, ids [T] int64, offsets [B] int64 -> pooled [B, D]
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& weight,
                               const torch::Tensor& ids, const torch::Tensor& offsets, bool mean,
                               bool sort_ahead);
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs);
};

// How a classifier's embedding table starts: drawn as Python's nn.Embedding draws it (a run
// that trains), or left as it is allocated because a model file's weights replace it (predict,
// eval and the other readers of a run, which then skip drawing a table of V rows).
enum class TableStart { drawn, loaded };

class ClassifierImpl : public torch::nn::Module {
 public:
  // `sparse`: the embedding produces sparse gradients (for sparse_adam); `outputs`: C.
  ClassifierImpl(const ModelConfig& config, int64_t vocab_size, bool sparse, int64_t outputs = 1,
                 TableStart start = TableStart::drawn);

  // Probabilities [B] (one output) or [B, C].
  torch::Tensor forward(const Batch& batch);

  // True when the embedding's sparse gradient comes from PooledEmbedding below:
  // its rows are already sorted and unique, so it needs no coalesce().
  bool grad_rows_unique() const;
  // True when the embedding's gradient is sparse (sparse_adam).
  bool sparse() const { return sparse_; }

  torch::nn::Embedding embedding{nullptr};
  torch::nn::Linear linear{nullptr};
  torch::nn::Linear linear_1{nullptr};

 private:
  // pooled [B, in] -> probabilities [B]
  torch::Tensor head(torch::Tensor pooled);

  ModelConfig config_;
  bool sparse_;
};
TORCH_MODULE(Classifier);

// C: one output per label of data.labels, or 1 (binary) when it is empty.
int64_t output_count(const Config& config);

// Redraws the embedding's weight [V, D] per model.init from the global generator (`normal`
// keeps the N(0, 1) that Embedding drew); called right after the model is built, so that
// Python's `torch.nn.init` call at the same point draws the same numbers.
void init_embedding(torch::Tensor weight, EmbeddingInit init);

// Seeds the global generator with train.seed and builds the classifier, so that
// a seed gives Python's initial weights (model creation is the generator's
// first use). With `pretrained`, rows of tokens it has are overwritten by its
// vectors (dimension checked; *missing counts the vocabulary tokens it lacks);
// model.freeze_embedding turns the embedding's gradient off.
Classifier create_model(const Config& config, const Vocab& vocab, const WordVectors* pretrained,
                        int64_t* missing = nullptr);

}  // namespace embtrain
