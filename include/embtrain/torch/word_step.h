// word_step.h — the word model and one batch's loss and gradients.
//
// The model is word2vec's: input vectors `embedding.weight` [R, D] (uniform in ±0.5/D, drawn
// from the global generator; R = V, or V + vocab.buckets with subwords) and output vectors
// `output.weight` [V, D] (zeros). A batch's
// loss is BCE with logits summed over its examples (the true word labelled 1, its negatives 0);
// its gradients are left on the tables with the bits autograd would give them
// (word_kernels.h for the scores, sparse_grad.h for the coalesced form).
//
// Thread-safety: the training thread only (the kernels split themselves over the pool).
#pragma once

#include <torch/torch.h>

#include "embtrain/torch/word_batch.h"

namespace embtrain {

struct WordModelImpl : torch::nn::Module {
  WordModelImpl(int64_t input_rows, int64_t words, int64_t dim);
  torch::nn::Embedding embedding, output;  // [R, D], [V, D]
};
TORCH_MODULE(WordModel);

// The summed loss of `batch` with `negatives` [P, N]; an example's input side is the mean of its
// bag when the batch has bags (CBOW, subwords). `coalesce`: leave each table's gradient
// coalesced as SparseAdam's coalesce() would make it; otherwise one row per use, in use order,
// as autograd's lookups leave it (what SGD's sparse add takes).
// `slice`: the batch is a worker's examples [first, first + P) of a batch of `total`. ATen's
// sigmoid computes a tensor's last elements (past its last full vectors) on a scalar path, so
// the slice's logits are laid out as rows of the whole batch's [total, T] first: each element
// then takes the path it takes in one process, and the gradients are one process's, to the bit.
struct BatchSlice {
  int64_t first = 0, total = 0;
};
// Tables on the CPU take the kernels (word_kernels.h: PyTorch's bits on any thread count); on
// another device (CUDA) batch_loss is aten_batch_loss.
double batch_loss(WordModel& model, const WordBatch& batch, const torch::Tensor& negatives, bool coalesce,
                  const BatchSlice* slice = nullptr);

// The same loss and gradients from ATen's ops (index_select or embedding_bag, bmm, BCE, sparse
// COO gradients, coalesce()) on the tables' device; `negatives` [P, N] may be on the CPU. What
// CUDA runs; on the CPU it equals the kernels to rounding (bmm above its plain loop and
// coalesce() sum in their own order). Runs in one process only: no `slice`.
double aten_batch_loss(WordModel& model, const WordBatch& batch, const torch::Tensor& negatives, bool coalesce);

// Each word's vector [V, D] from the input table [R, D]: its own row, or with subwords the mean
// of its rows (fastText's getWordVector; ATen's embedding_bag), a new tensor on the CPU. What
// the run folder, the report and the scores hold.
torch::Tensor word_vectors(const torch::Tensor& input_table, const WordRows& rows);

}  // namespace embtrain
