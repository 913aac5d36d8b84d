// helpers.h — running the embtrain binary from tests, temp folders, fixtures.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace embtrain::test {

struct CliResult {
  int code = -1;
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline void spit(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A fresh folder under the system temp dir, removed when the test ends.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char pattern[] = "/tmp/embtrain-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Runs `embtrain ARGS` through the shell (args are shell words), with `input` on stdin.
inline CliResult run_cli(const std::string& args, const std::string& input = "") {
  TempDir dir;
  spit(dir / "in", input);
  const std::string command = std::string("cd '") + EMBTRAIN_SOURCE_DIR + "' && '" +
                              EMBTRAIN_BIN + "' " + args + " <'" + (dir / "in") + "' >'" +
                              (dir / "out") + "' 2>'" + (dir / "err") + "'";
  const int status = std::system(command.c_str());
  CliResult result;
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(dir / "out");
  result.err = slurp(dir / "err");
  return result;
}

// The message of the embtrain::Error that `call` throws ("" when it throws none), and its exit
// code in *code when asked. (Any type with what() and exit_code(): helpers.h includes no
// embtrain header.)
template <typename ErrorType, typename F>
std::string error_of(F call, int* code = nullptr) {
  try {
    call();
  } catch (const ErrorType& e) {
    if (code) *code = e.exit_code();
    return e.what();
  }
  return "";
}

inline std::string fixture(const std::string& name) {
  return std::string(EMBTRAIN_FIXTURES) + "/" + name;
}

}  // namespace embtrain::test
