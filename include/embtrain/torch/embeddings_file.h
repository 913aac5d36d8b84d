// embeddings_file.h — embeddings.pt, the table's rows before training, and reading a finished
// run's table before and after.
//
// Format 2 (this version writes it), what torch.load(weights_only=True) gives:
//   {"format_version": 2,
//    "rows":   int64 [M]    the rows training could move (every row the training data holds,
//                           and row 0), ascending,
//    "before": float32 [M, D] their values before training,
//    "after":  float32 [V, D] (word runs with subwords only) the word vectors after training}
// The trained table, `after` [V, D], is model.pt's `embedding.weight`; every row not in `rows`
// is the same before and after. A word run with vocab.subwords trains a table of V + buckets
// rows whose word vectors are means of several rows: its embeddings.pt holds the word vectors
// before and after, [V, D] each (rows = every word), and model.pt the table. So the run folder holds the table once, plus the rows that
// moved. Format 1 (earlier versions) held {"before", "after"}, [V, D] each; it is still read.
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>

namespace embtrain {

// The dict embeddings.pt holds: `rows` [M] int64, `before` [M, D] float32 on the CPU, and
// `after` [V, D] when given (defined).
c10::impl::GenericDict embeddings_file(const torch::Tensor& rows, const torch::Tensor& before,
                                       const torch::Tensor& after = {});

// The whole table before and after training, [R, D] each (R = the table's rows), from the run
// folder's embeddings.pt (`path`) and model.pt (`model_path`). An Error naming the file when
// either is unreadable or does not have `rows` rows.
std::pair<torch::Tensor, torch::Tensor> read_tables(const std::string& path, const std::string& model_path,
                                                    int64_t rows);

// model.pt's trained input table, embedding.weight [R, D] (every row, n-gram buckets included);
// an Error naming the file when it is unreadable.
torch::Tensor trained_table(const std::string& model_path);

}  // namespace embtrain
