// matrix.h — Matrix: a view of embedding rows that the text side can read without torch.
#pragma once

#include <cstdint>

namespace embtrain {

// A view of a row-major [rows, dim] float32 matrix owned elsewhere (a std::vector, or a CPU
// tensor's storage).
//
// With an overlay, some rows read from a second matrix instead: row r is
// `overlay + slot[r] * dim` where slot[r] >= 0. A run's table before training is its trained
// table with the rows training could move put back ([V, D] over [M, D]), so nothing copies the
// whole table to look at it (the cost follows the rows that moved, not the vocabulary).
struct Matrix {
  int64_t rows = 0, dim = 0;
  const float* data = nullptr;
  const float* overlay = nullptr;  // [M, dim] or nullptr
  const int32_t* slot = nullptr;   // [rows]: the row's index in `overlay`, or -1

  const float* row(int64_t r) const {
    if (slot != nullptr && slot[r] >= 0) return overlay + static_cast<int64_t>(slot[r]) * dim;
    return data + r * dim;
  }
};

}  // namespace embtrain
