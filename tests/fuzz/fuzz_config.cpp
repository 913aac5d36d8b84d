// fuzz_config.cpp — libFuzzer harness: config files (JSON text) through load_config_text.
#include <cstdint>
#include <string>

#include "embtrain/text/config.h"
#include "embtrain/text/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    embtrain::load_config_text(text, "fuzz/config.json", {});
  } catch (const embtrain::Error&) {
    // Rejected with a message: what bad input should get.
  }
  return 0;
}
