// batches.cpp — a batch's tensors from a corpus slice, and a batch's probabilities tallied.
#include "embtrain/torch/batches.h"

#include <algorithm>

namespace embtrain {

Batch make_batch(const Corpus& corpus, const int64_t* indices, int64_t count,
                 const ModelConfig& model, torch::Device device, int64_t outputs) {
  Batch batch;
  batch.size = count;
  std::vector<float> labels(static_cast<size_t>(count));
  for (int64_t b = 0; b < count; ++b) labels[static_cast<size_t>(b)] = corpus.labels[static_cast<size_t>(indices[b])];
  const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
  if (model.pooling == Pooling::flatten) {
    // [B, L]: the first L ids of each sentence; shorter ones padded with id 0
    // and masked to a zero vector, so padding neither reads nor trains a row.
    const int64_t length = model.max_length;
    auto ids = torch::zeros({count, length}, i64);
    auto* out = ids.data_ptr<int64_t>();
    bool padded = false;
    for (int64_t b = 0; b < count; ++b) {
      const int64_t start = corpus.offsets[static_cast<size_t>(indices[b])];
      const int64_t n = std::min(length, corpus.length(indices[b]));
      std::copy_n(corpus.ids.data() + start, n, out + b * length);
      padded = padded || n < length;
    }
    if (padded) {
      auto mask = torch::zeros({count, length, 1});
      auto* m = mask.data_ptr<float>();
      for (int64_t b = 0; b < count; ++b) {
        const int64_t n = std::min(length, corpus.length(indices[b]));
        std::fill_n(m + b * length, n, 1.0f);
      }
      batch.mask = mask.to(device);
    }
    batch.ids = ids.to(device);
  } else {
    int64_t total = 0;
    for (int64_t b = 0; b < count; ++b) total += corpus.length(indices[b]);
    auto ids = torch::empty({total}, i64);
    auto offsets = torch::empty({count}, i64);
    auto* id_out = ids.data_ptr<int64_t>();
    auto* offset_out = offsets.data_ptr<int64_t>();
    int64_t at = 0;
    for (int64_t b = 0; b < count; ++b) {
      const int64_t n = corpus.length(indices[b]);
      offset_out[b] = at;
      std::copy_n(corpus.ids.data() + corpus.offsets[static_cast<size_t>(indices[b])], n, id_out + at);
      at += n;
    }
    batch.ids = ids.to(device);
    batch.offsets = offsets.to(device);
  }
  if (corpus.multi_label()) {
    auto targets = torch::zeros({count, outputs});  // [B, C] multi-hot
    auto* t = targets.data_ptr<float>();
    for (int64_t b = 0; b < count; ++b) {
      const auto i = static_cast<size_t>(indices[b]);
      for (int64_t k = corpus.label_offsets[i]; k < corpus.label_offsets[i + 1]; ++k) {
        t[b * outputs + corpus.label_ids[static_cast<size_t>(k)]] = 1.0f;
      }
    }
    batch.labels = (outputs == 1 ? targets.squeeze(1) : targets).to(device);  // as the model's output
    return batch;
  }
  batch.labels = torch::from_blob(labels.data(), {count}).clone().to(device);
  return batch;
}

void tally_batch(Tally& tally, const torch::Tensor& probabilities, const Corpus& corpus,
                 const int64_t* indices, int64_t count) {
  const auto p = probabilities.detach().to(torch::kCPU).contiguous();
  const float* pp = p.data_ptr<float>();
  if (!corpus.multi_label()) {
    for (int64_t b = 0; b < count; ++b) tally.add(pp[b], corpus.labels[static_cast<size_t>(indices[b])]);
    return;
  }
  const int64_t classes = p.dim() == 2 ? p.size(1) : 1;  // [B, C], or [B] for one label
  for (int64_t b = 0; b < count; ++b) {
    const auto i = static_cast<size_t>(indices[b]);
    const int64_t first = corpus.label_offsets[i];
    tally.add_multi(pp + b * classes, classes, corpus.label_ids.data() + first, corpus.label_offsets[i + 1] - first);
  }
}

}  // namespace embtrain
