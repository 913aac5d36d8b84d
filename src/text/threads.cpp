// threads.cpp — ThreadPool: fixed workers woken per job, ranges handed out by index.
#include "embtrain/text/threads.h"

#include <algorithm>
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
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  start_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::work(size_t index) {
  uint64_t seen = 0;
  for (;;) {
    std::pair<int64_t, int64_t> range;
    const std::function<void(int64_t, int64_t)>* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      range = ranges_[index];
      job = job_;
    }
    std::exception_ptr failure;
    if (range.first < range.second) {
      try {
        (*job)(range.first, range.second);
      } catch (...) {
        failure = std::current_exception();
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (failure && !failure_) failure_ = failure;
    if (--pending_ == 0) done_.notify_one();
  }
}

void ThreadPool::run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn, int64_t align) {
  if (n <= 0) return;
  align = std::max<int64_t>(align, 1);
  const int64_t pieces = std::min<int64_t>(size(), std::max<int64_t>(1, n / std::max<int64_t>(grain, 1)));
  if (pieces <= 1) {
    fn(0, n);
    return;
  }
  std::vector<std::pair<int64_t, int64_t>> ranges(static_cast<size_t>(size()), {0, 0});
  int64_t begin = 0;
  for (int64_t p = 0; p < pieces; ++p) {
    int64_t end = p + 1 == pieces ? n : (n * (p + 1) / pieces) / align * align;
    end = std::max(begin, std::min(end, n));
    ranges[static_cast<size_t>(p)] = {begin, end};
    begin = end;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ranges_ = ranges;
    job_ = &fn;
    pending_ = size() - 1;
    failure_ = nullptr;
    ++generation_;
  }
  start_.notify_all();
  std::exception_ptr own;
  try {
    if (ranges[0].first < ranges[0].second) fn(ranges[0].first, ranges[0].second);
  } catch (...) {
    own = std::current_exception();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
  if (own) std::rethrow_exception(own);
  if (failure_) std::rethrow_exception(failure_);
}

int64_t ThreadPool::grain_for(int64_t work_per_item) const {
  return std::max<int64_t>(1, min_work_ / std::max<int64_t>(work_per_item, 1));
}

// A split pays when each range's work outweighs waking the workers: min_work_ is the hand-off's
// measured cost (the median of a few empty jobs) in units of about a nanosecond, times four.
void ThreadPool::measure_handoff() {
  if (workers_.empty()) return;
  using Clock = std::chrono::steady_clock;
  std::vector<int64_t> costs;
  const std::function<void(int64_t, int64_t)> nothing = [](int64_t, int64_t) {};
  for (int i = 0; i < 15; ++i) {
    const auto started = Clock::now();
    run(size(), 1, nothing);
    costs.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count());
  }
  std::nth_element(costs.begin(), costs.begin() + costs.size() / 2, costs.end());
  // Whatever was measured, the split is only a choice of speed: the bits are the same either way.
  min_work_ = std::clamp<int64_t>(4 * costs[costs.size() / 2], 1 << 12, 1 << 22);
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
