// error.h — the one exception type embtrain throws.
//
// Every failure the user can cause (a bad config key, a malformed data line, an
// unwritable folder) is an Error whose message names the file, line, key or
// value at fault. Only main() catches it; it prints one line and returns
// exit_code(): 2 for usage and configuration mistakes, 1 for everything else.
#pragma once

#include <stdexcept>
#include <string>

namespace embtrain {

class Error : public std::runtime_error {
 public:
  enum class Kind { usage, runtime };

  Error(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  // A mistake in how embtrain was called or configured (exit code 2).
  static Error usage(const std::string& message) { return Error(Kind::usage, message); }
  // Anything else that stops a run: I/O, bad data, numerical failure (exit code 1).
  static Error runtime(const std::string& message) { return Error(Kind::runtime, message); }

  Kind kind() const { return kind_; }
  int exit_code() const { return kind_ == Kind::usage ? 2 : 1; }

 private:
  Kind kind_;
};

// nlohmann's exception text without its "[json.exception.parse_error.101] " tag; what is left
// names the line and column ("parse error at line 1, column 9: ...").
inline std::string json_error_text(const std::exception& e) {
  const std::string what = e.what();
  const auto tag = what.find("] ");
  return what.rfind("[json.exception", 0) == 0 && tag != std::string::npos ? what.substr(tag + 2) : what;
}

}  // namespace embtrain
