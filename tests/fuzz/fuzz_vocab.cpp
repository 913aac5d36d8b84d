// fuzz_vocab.cpp — libFuzzer harness: vocabulary files, then a save/load round trip.
#include <cstdint>
#include <sstream>
#include <string>

#include "embtrain/text/error.h"
#include "embtrain/text/vocab.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const embtrain::Vocab vocab = embtrain::Vocab::load(in, "fuzz/vocab.txt");
    std::istringstream again(vocab.to_text());
    const embtrain::Vocab back = embtrain::Vocab::load(again, "fuzz/again.txt");
    if (back.size() != vocab.size()) __builtin_trap();
    for (int64_t id = 0; id < vocab.size(); ++id) {
      if (back.find(vocab.token(id)) != id) __builtin_trap();
    }
  } catch (const embtrain::Error&) {
  }
  return 0;
}
