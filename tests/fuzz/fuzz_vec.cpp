// fuzz_vec.cpp — libFuzzer harness: .vec files, then a format_vec/read_vec round trip.
#include <cstdint>
#include <sstream>
#include <string>

#include "embtrain/text/error.h"
#include "embtrain/text/vectors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const embtrain::WordVectors vectors = embtrain::read_vec(in, "fuzz/vectors.vec");
    const embtrain::Matrix m{vectors.vocab.size(), vectors.dim, vectors.values.data()};
    std::istringstream again(embtrain::format_vec(vectors.vocab, m));
    const embtrain::WordVectors back = embtrain::read_vec(again, "fuzz/again.vec");
    if (back.values != vectors.values) __builtin_trap();
  } catch (const embtrain::Error&) {
  }
  return 0;
}
