// signals.h — SignalScope: SIGINT and SIGTERM go to a handler while it lives.
//
// The one place that installs and restores them: `train` (stop at the next step, see run.cpp)
// and `train --nproc`'s launcher (forward to the workers, see cli/workers.cpp). Also
// ignore_broken_pipes(), for the workers of a data-parallel run.
#pragma once

#include <unistd.h>

#include <csignal>

#include "embtrain/text/io.h"

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

// For the rest of the process, a write to a socket whose peer is gone fails with EPIPE instead
// of killing the process with SIGPIPE: a worker whose peer died then reports the lost contact
// (distributed.h), rather than dying of SIGPIPE first, which the launcher would take for the
// worker that failed.
inline void ignore_broken_pipes() {
  struct sigaction action {};
  action.sa_handler = SIG_IGN;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGPIPE, &action, nullptr);
}

// Catches SIGINT and SIGTERM while it lives. The first sets received(); a second exits at
// once, after unlinking the temp files being written (files are only ever renamed into place,
// so none is left half-written).
class SignalGuard {
 public:
  // received_ is cleared before the handler goes in, so no signal of this run is lost.
  SignalGuard() : scope_((received_ = 0, &SignalGuard::handle)) {}
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;
  static int received() { return received_; }

 private:
  static void handle(int signal_number) {
    if (received_ != 0) {
      remove_temp_files_in_flight();  // nothing half-written stays behind
      ::_exit(128 + signal_number);
    }
    received_ = signal_number;
  }
  static inline volatile std::sig_atomic_t received_ = 0;
  const SignalScope scope_;
};

}  // namespace embtrain
