// fuzz_set.cpp — libFuzzer harness: --set overrides (one per input line) on a valid config.
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "embtrain/text/config.h"
#include "embtrain/text/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::vector<std::string> overrides;
  for (std::string line; std::getline(in, line);) overrides.push_back(line);
  try {
    embtrain::load_config_text(R"({"data": {"train": "t.tsv"}})", "fuzz/config.json", overrides);
  } catch (const embtrain::Error&) {
  }
  return 0;
}
