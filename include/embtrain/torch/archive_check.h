// archive_check.h — vets a LibTorch zip archive (checkpoint.pt, model.pt, embeddings.pt) before
// LibTorch builds tensors from it.
//
// LibTorch's unpickler gives each storage the byte count that the pickle claims, not the size of
// the record that holds its bytes, and sets sizes and strides without checking them: a hostile
// file makes a tensor that reads past its buffer (found by the checkpoint fuzzer). This check
// unpickles the archive's tensors over storages of the records' real sizes and refuses any
// tensor that addresses a byte beyond its record, so the real load that follows is safe.
#pragma once

#include <string>

namespace embtrain {

// What is wrong with the archive at `path` (read from `bytes` when given), for the caller's
// error message: LibTorch's reason when it cannot be read, or a tensor larger than the data
// stored for it; "" when every tensor in it is backed by its record.
std::string archive_problem(const std::string& path);
std::string archive_problem_in(const std::string& bytes);

}  // namespace embtrain
