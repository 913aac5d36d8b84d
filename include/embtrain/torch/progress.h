// progress.h — what a running `train` shows while it trains: the progress line on a terminal or
// steady log lines anywhere else, and EMBTRAIN_PROFILE's Chrome trace of every LibTorch op.
// Thread-safety: both are used from the training thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace embtrain {

// A one-line display redrawn on a terminal (at most every 100 ms); where stderr is not a
// terminal (a log file, CI), an info line every 10 s instead, so that a long run is never silent.
class Progress {
 public:
  enum class Mode { off, terminal, log };
  // `unit`: what a batch of batch_size counts (a classifier's examples, a word run's centre words).
  Progress(Mode mode, int64_t epochs, int64_t batch_size, const char* unit = "examples")
      : mode_(mode), epochs_(epochs), batch_size_(batch_size), unit_(unit) {}
  // Off with --quiet or on a worker that does not write; the line on a terminal; log lines elsewhere.
  static Mode mode_for(bool quiet, bool writes);
  // After step `step` of `steps` in epoch `epoch` (1-based); `loss` NaN when not read (GPU runs).
  void step(int64_t epoch, int64_t step, int64_t steps, double loss);
  // Erases the terminal line before other output.
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kLogEvery{10};
  struct Pace {
    double examples_per_second, seconds_left;
  };
  Pace pace(int64_t epoch, int64_t step, int64_t steps, Clock::time_point now) const;
  Mode mode_;
  int64_t epochs_, batch_size_;
  const char* unit_;
  Clock::time_point start_ = Clock::now(), last_{};
  bool shown_ = false;
};

// A Chrome trace (chrome://tracing, Perfetto) of every LibTorch op while it lives, through
// PyTorch 2.x's Kineto profiler (what torch.profiler uses), saved to `path` at the end.
class ChromeTrace {
 public:
  explicit ChromeTrace(std::string path);
  ~ChromeTrace();
  ChromeTrace(const ChromeTrace&) = delete;
  ChromeTrace& operator=(const ChromeTrace&) = delete;

 private:
  std::string path_;
};

}  // namespace embtrain
