// threads.cpp — ThreadPool: fixed workers woken per job, ranges handed out by index.
#include "embtrain/text/threads.h"

#include <algorithm>
#include <limits>
#include <chrono>
#include <memory>

namespace embtrain {

ThreadPool::ThreadPool(int64_t threads, const std::function<void()>& on_start, bool always_split) {
  for (int64_t i = 1; i < std::max<int64_t>(threads, 1); ++i) {
    workers_.emplace_back([this, i, on_start] {
      if (on_start) on_start();
      work(static_cast<size_t>(i));
    });
  }
  measure_handoff();
  if (always_split) min_work_ = 1;
}

ThreadPool::~ThreadPool() {
  try {
    wait_launched();
  } catch (...) {  // a destructor must not throw; the failure had nowhere left to go
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  start_.notify_all();
  for (auto& worker : workers_) worker.join();
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSpin = std::chrono::microseconds(200);

inline void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until `done()` or kSpin has passed; true when done.
template <typename Done>
bool spin_until(Done done) {
  const auto deadline = Clock::now() + kSpin;
  for (int i = 0;; ++i) {
    if (done()) return true;
    pause();
    if ((i & 63) == 63) {
      if (Clock::now() > deadline) return false;
      // Lets a thread that shares this core run: the scheduler often starts a new worker on its
      // caller's core, and a caller spinning there would keep it off until the spin ends
      // (measured: hand-offs of 200-400 µs instead of 1 µs in about half of the runs).
      std::this_thread::yield();
    }
  }
}

// True on a thread while it runs a job's range or a launched function: a kernel called from
// there that calls the pool again (evaluation's forward pass, say) runs inline on that thread
// instead of waiting for threads that are busy with the job it is part of.
thread_local bool in_job = false;

struct InJob {
  InJob() { in_job = true; }
  ~InJob() { in_job = false; }
};

}  // namespace

void ThreadPool::work(size_t index) {
  uint64_t seen = 0;
  for (;;) {
    auto published = [&] { return stopping_.load() || generation_.load(std::memory_order_acquire) != seen; };
    if (!spin_until(published)) {
      std::unique_lock<std::mutex> lock(mutex_);
      ++sleeping_;
      start_.wait(lock, published);
      --sleeping_;
    }
    if (stopping_) return;
    seen = generation_.load(std::memory_order_acquire);
    const auto range = ranges_[index];
    std::exception_ptr failure;
    if (range.first < range.second) {
      try {
        const InJob inside;
        (*job_)(range.first, range.second);
      } catch (...) {
        failure = std::current_exception();
      }
    }
    if (failure) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!failure_) failure_ = failure;
    }
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);  // the caller may be about to sleep on done_
      done_.notify_one();
    }
  }
}

void ThreadPool::run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn, int64_t align) {
  if (n <= 0) return;
  if (in_job) return fn(0, n);
  wait_launched();
  align = std::max<int64_t>(align, 1);
  const int64_t pieces = std::min<int64_t>(size(), std::max<int64_t>(1, n / std::max<int64_t>(grain, 1)));
  if (pieces <= 1) {
    fn(0, n);
    return;
  }
  ranges_.assign(static_cast<size_t>(size()), {0, 0});
  int64_t begin = 0;
  for (int64_t p = 0; p < pieces; ++p) {
    int64_t end = p + 1 == pieces ? n : (n * (p + 1) / pieces) / align * align;
    end = std::max(begin, std::min(end, n));
    ranges_[static_cast<size_t>(p)] = {begin, end};
    begin = end;
  }
  job_ = &fn;
  publish();
  std::exception_ptr own;
  try {
    const InJob inside;
    if (ranges_[0].first < ranges_[0].second) fn(ranges_[0].first, ranges_[0].second);
  } catch (...) {
    own = std::current_exception();
  }
  if (!own) return wait_workers();
  try {
    wait_workers();
  } catch (...) {  // the caller's own failure is the one reported
  }
  std::rethrow_exception(own);
}

void ThreadPool::publish() {
  failure_ = nullptr;
  pending_.store(size() - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);  // a worker about to sleep sees the new generation
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleeping_.load() > 0) start_.notify_all();
}

void ThreadPool::wait_workers() {
  auto finished = [&] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(finished)) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, finished);
  }
  job_ = nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  if (failure_) std::rethrow_exception(failure_);
}

void ThreadPool::launch(std::function<void()> fn) {
  if (in_job) return fn();
  wait_launched();
  if (workers_.empty()) return fn();
  launched_ = std::move(fn);
  ranges_.assign(static_cast<size_t>(size()), {0, 0});
  ranges_.back() = {0, 1};
  job_ = &launched_job_;
  launched_running_ = true;
  publish();
}

void ThreadPool::wait_launched() {
  if (in_job || !launched_running_) return;
  launched_running_ = false;
  try {
    wait_workers();
  } catch (...) {
    launched_ = nullptr;
    throw;
  }
  launched_ = nullptr;  // its captures are released on the caller's thread
}

void ThreadPool::run_interleaved(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn,
                                 int64_t align) {
  if (n <= 0) return;
  const int64_t chunk = chunk_length(n, grain, align);
  const int64_t chunks = (n + chunk - 1) / chunk;
  const int64_t threads = std::min(size(), chunks);
  if (threads <= 1) {
    fn(0, n);
    return;
  }
  // One index a thread: run() hands index t to one thread, which takes every threads-th chunk.
  run(threads, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      for (int64_t c = t; c < chunks; c += threads) fn(c * chunk, std::min(n, (c + 1) * chunk));
    }
  });
}

void ThreadPool::run_tasks(int64_t n, const std::function<void(int64_t)>& fn) {
  std::atomic<int64_t> next{0};
  run(std::min(size(), n), 1, [&](int64_t, int64_t) {
    for (int64_t task = next++; task < n; task = next++) fn(task);
  });
}

int64_t ThreadPool::chunk_length(int64_t n, int64_t grain, int64_t align) const {
  align = std::max<int64_t>(align, 1);
  const int64_t wanted = (n + kChunksPerThread * size() - 1) / (kChunksPerThread * size());
  return (std::max<int64_t>({wanted, grain, 1}) + align - 1) / align * align;
}

int64_t ThreadPool::grain_for(int64_t work_per_item) const {
  return std::max<int64_t>(1, min_work_ / std::max<int64_t>(work_per_item, 1));
}

// A split pays when each range's work outweighs waking the workers: min_work_ is the hand-off's
// measured cost in units of about a nanosecond, times four. The cost taken is the least of a
// few dozen empty jobs: a new worker often starts on its caller's core and shares it until the
// scheduler moves it (measured here: up to tens of milliseconds), and jobs timed meanwhile cost
// what a shared core costs, not what the pool costs once the threads have their own cores.
void ThreadPool::measure_handoff() {
  if (workers_.empty()) return;
  using Clock = std::chrono::steady_clock;
  int64_t least = std::numeric_limits<int64_t>::max();
  const std::function<void(int64_t, int64_t)> nothing = [](int64_t, int64_t) {};
  for (int i = 0; i < 40; ++i) {
    const auto started = Clock::now();
    run(size(), 1, nothing);
    least = std::min<int64_t>(least, std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count());
  }
  // Whatever was measured, the split is only a choice of speed: the bits are the same either way.
  min_work_ = std::clamp<int64_t>(4 * least, 1 << 12, 1 << 18);
}

namespace {
std::unique_ptr<ThreadPool>& pool_slot() {
  static std::unique_ptr<ThreadPool> pool = std::make_unique<ThreadPool>(1);
  return pool;
}
}  // namespace

ThreadPool& shared_pool() { return *pool_slot(); }

void set_shared_threads(int64_t threads, const std::function<void()>& on_start, bool always_split) {
  if (threads <= 0) threads = std::max<int64_t>(1, std::thread::hardware_concurrency());
  pool_slot().reset();  // its workers end before the new ones start
  pool_slot() = std::make_unique<ThreadPool>(threads, on_start, always_split);
}

}  // namespace embtrain
