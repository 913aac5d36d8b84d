// replay_main.cpp — runs a fuzz harness over files (seed corpus, regressions)
// without libFuzzer, so that ordinary and sanitizer builds check them in ctest.
//
// usage: fuzz_replay_X FOLDER...   Every folder must exist and hold at least one file (a
// missing or empty corpus is a broken test, not a pass). An input that crashes the harness
// ends the process (a signal, or a sanitizer report); otherwise each input counts as passed.
// Ends with 'N passed, N failed'.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  int passed = 0, failed = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code error;
    if (!std::filesystem::is_directory(argv[i], error)) {
      std::printf("FAIL %s: no such corpus folder\n", argv[i]);
      ++failed;
      continue;
    }
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      const std::string data = bytes.str();
      // libFuzzer harnesses return 0; anything else is a harness that rejected its input.
      if (LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size()) == 0) {
        ++passed;
      } else {
        std::printf("FAIL %s\n", entry.path().c_str());
        ++failed;
      }
      ++files;
    }
    if (files == 0) {
      std::printf("FAIL %s: empty corpus folder\n", argv[i]);
      ++failed;
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
