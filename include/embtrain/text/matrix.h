// matrix.h — Matrix: a view of embedding rows that the text side can read without torch.
#pragma once

#include <cstdint>

namespace embtrain {

// A view of a row-major [rows, dim] float32 matrix owned elsewhere (a std::vector, or a CPU
// tensor's storage).
struct Matrix {
  int64_t rows = 0, dim = 0;
  const float* data = nullptr;

  const float* row(int64_t r) const { return data + r * dim; }
};

}  // namespace embtrain
