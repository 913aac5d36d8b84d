// signals.h — SignalScope: SIGINT and SIGTERM go to a handler while it lives.
//
// The one place that installs and restores them: `train` (stop at the next step, see run.cpp)
// and `train --nproc`'s launcher (forward to the workers, see cli/workers.cpp).
#pragma once

#include <csignal>

namespace embtrain {

class SignalScope {
 public:
  explicit SignalScope(void (*handler)(int)) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  ~SignalScope() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

}  // namespace embtrain
