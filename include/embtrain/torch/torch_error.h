// torch_error.h — one line from a LibTorch exception, for an embtrain::Error's message.
#pragma once

#include <c10/util/Exception.h>

#include <exception>
#include <string>

namespace embtrain {

// The first non-empty line of the message, without the backtrace: c10::Error, or the
// TorchScript ErrorReport that a corrupted archive raises (its text starts with a newline).
inline std::string torch_error_text(const std::exception& e) {
  std::string what = e.what();
  if (const auto* error = dynamic_cast<const c10::Error*>(&e)) what = error->what_without_backtrace();
  const auto start = what.find_first_not_of("\n ");
  if (start == std::string::npos) return "no reason given";
  return what.substr(start, what.find('\n', start) - start);
}

}  // namespace embtrain
