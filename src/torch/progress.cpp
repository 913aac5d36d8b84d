// progress.cpp — Progress's terminal line and log lines; ChromeTrace over Kineto.
#include "embtrain/torch/progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/profiler_kineto.h>

#include <cmath>
#include <cstdio>
#include <unistd.h>
#include <set>

namespace embtrain {

namespace {

std::string loss_text(double loss) { return std::isnan(loss) ? "-" : fmt::format("{:.4f}", loss); }

}  // namespace

Progress::Mode Progress::mode_for(bool quiet, bool writes) {
  if (quiet || !writes) return Mode::off;
  return ::isatty(STDERR_FILENO) ? Mode::terminal : Mode::log;
}

Progress::Pace Progress::pace(int64_t epoch, int64_t step, int64_t steps, Clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double done = static_cast<double>((epoch - 1) * steps + step);
  const double total = static_cast<double>(epochs_ * steps);
  return {elapsed > 0 ? done * static_cast<double>(batch_size_) / elapsed : 0.0,
          done > 0 ? elapsed * (total - done) / done : 0.0};
}

void Progress::step(int64_t epoch, int64_t step, int64_t steps, double loss) {
  if (mode_ == Mode::off) return;
  const auto now = Clock::now();
  if (mode_ == Mode::log) {
    if (now - last_ < kLogEvery) return;
    const bool first = last_ == Clock::time_point{};  // the first step only starts the clock
    last_ = now;
    if (first) return;
    const Pace p = pace(epoch, step, steps, now);
    spdlog::info("epoch {}/{}, step {}/{}: loss {}, {:.0f} {}/s, about {:.0f} s left", epoch, epochs_, step, steps,
                 loss_text(loss), p.examples_per_second, unit_, p.seconds_left);
    return;
  }
  if (now - last_ < std::chrono::milliseconds(100) && !(epoch == epochs_ && step == steps)) return;
  last_ = now;
  const Pace p = pace(epoch, step, steps, now);
  // The loss is NaN on GPU runs, where reading it every step would stall them.
  std::fprintf(stderr, "\r\033[Kepoch %lld/%lld  loss %s  %.0f %s/s  ETA %.0fs", static_cast<long long>(epoch),
               static_cast<long long>(epochs_), loss_text(loss).c_str(), p.examples_per_second, unit_,
               p.seconds_left);
  std::fflush(stderr);
  shown_ = true;
}

void Progress::clear() {
  if (shown_) std::fprintf(stderr, "\r\033[K");
  shown_ = false;
}

ChromeTrace::ChromeTrace(std::string path) : path_(std::move(path)) {
  namespace profiler = torch::autograd::profiler;
  const torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::KINETO);
  const std::set<torch::profiler::impl::ActivityType> activities{torch::profiler::impl::ActivityType::CPU};
  profiler::prepareProfiler(config, activities);
  profiler::enableProfiler(config, activities);
}

ChromeTrace::~ChromeTrace() {
  try {
    torch::autograd::profiler::disableProfiler()->save(path_);
    spdlog::info("profile: {}", path_);
  } catch (const std::exception& e) {
    spdlog::warn("cannot write the profile '{}': {}", path_, e.what());
  }
}

}  // namespace embtrain
