// threads.h — ThreadPool: the threads a process splits whole kernels over (torch-free).
//
// The contract that makes results independent of the thread count: run() hands out disjoint
// ranges of an index space, and a kernel given to it computes each output element (a gradient
// row, an optimizer's element, an evaluation batch, a token's neighbours) on one thread, in the
// same order as a single thread would. Where the ranges fall then changes no bit; `align` keeps
// range boundaries at multiples of a width for kernels whose per-element arithmetic depends on
// an element's position (ATen's vectorised loops treat a range's tail differently).
//
// The pool of a process is set once (torch/threads.h: use_threads) and read by the kernels
// through shared_pool(). Splitting is skipped when a region is too small to pay for the hand-off:
// the pool measures its own hand-off at start-up (worth_splitting).
//
// Thread-safety: run() is called by one thread at a time (the training thread); the kernel runs
// on every thread of the pool at once, on disjoint ranges, and must not throw across threads
// (the first exception is rethrown by run() after every range has finished). A kernel that
// calls the pool again (run, run_interleaved, run_tasks, launch) from inside a job gets its
// work done inline, on its own thread: the same result, no deadlock.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace embtrain {

class ThreadPool {
 public:
  // >= 1 threads (1 runs everything on the caller); each worker calls `on_start` first (the
  // torch side sets ATen to one thread there: OpenMP's thread count is per thread).
  // `always_split` (tests only): every region is split, however small, so that tiny fixtures
  // exercise the split kernels.
  explicit ThreadPool(int64_t threads, const std::function<void()>& on_start = {}, bool always_split = false);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int64_t size() const { return static_cast<int64_t>(workers_.size()) + 1; }
  // fn(begin, end) over disjoint ranges that cover [0, n): at most size() of them, none shorter
  // than `grain` (but the last), boundaries multiples of `align`. The caller runs the first.
  void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn, int64_t align = 1);
  // The same cover of [0, n), dealt out in chunks: [0, n) is cut into about kChunksPerThread
  // chunks a thread (none shorter than `grain` but the last, boundaries multiples of `align`),
  // and thread t runs chunks t, t + T, t + 2T... in order, one fn call each. For index spaces
  // whose cost grows along the index: a batch's distinct rows sorted by id, in a vocabulary in
  // frequency order, put the frequent rows (hot in cache) first and the rare, cold ones last,
  // and contiguous halves then took 2.3-2.5x as long for the second thread as for the first
  // (the Adam row update of configs/spam.json, measured per range).
  void run_interleaved(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn,
                       int64_t align = 1);
  static constexpr int64_t kChunksPerThread = 4;
  // The length of the chunks run_interleaved cuts [0, n) into: about kChunksPerThread a thread,
  // none shorter than `grain`, a multiple of `align`.
  int64_t chunk_length(int64_t n, int64_t grain, int64_t align = 1) const;
  // fn(0), ..., fn(n - 1), each once, on one thread: every thread takes the next task not yet
  // taken until none is left, so one that finishes early takes more (tasks of unequal cost).
  // Which thread runs a task varies from run to run, so fn(t) must not depend on it.
  void run_tasks(int64_t n, const std::function<void(int64_t)>& fn);
  // Starts fn on the pool's last worker and returns at once, so that the caller's own work
  // (a step's forward pass and dense layers) overlaps it; the other workers stay idle until
  // it ends. One at a time: the next launch(), run() or run_interleaved() first waits for it,
  // and wait_launched() does so explicitly (rethrowing what fn threw). A pool of one thread
  // runs fn on the spot. fn must not call the pool.
  void launch(std::function<void()> fn);
  void wait_launched();
  // True when `work` units (about a nanosecond each: a float multiply-add) pay for splitting.
  bool worth_splitting(int64_t work) const { return size() > 1 && work >= min_work_; }
  // The work (units as worth_splitting's) from which a region is split.
  int64_t min_work() const { return min_work_; }
  // The grain, in items of `work_per_item` units, below which a range does not pay.
  int64_t grain_for(int64_t work_per_item) const;

 private:
  void work(size_t index);
  void measure_handoff();
  // Hands ranges_ to the workers (they run job_ on theirs); wait_workers() waits until all are
  // done and rethrows the first failure.
  void publish();
  void wait_workers();

  std::vector<std::thread> workers_;
  // A job is published by bumping generation_ (release); workers spin on it for a while
  // (kSpin) before sleeping on start_, since a step's regions come a few hundred microseconds
  // apart and waking a sleeping thread costs tens of microseconds.
  std::mutex mutex_;
  std::condition_variable start_, done_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> pending_{0};   // workers still on the current job
  std::atomic<int64_t> sleeping_{0};  // workers waiting on start_
  std::atomic<bool> stopping_{false};
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  std::vector<std::pair<int64_t, int64_t>> ranges_;  // [size()] this job's ranges (empty ones idle)
  std::exception_ptr failure_;                        // guarded by mutex_
  std::function<void()> launched_;                    // launch()'s function, until waited for
  std::function<void(int64_t, int64_t)> launched_job_ = [this](int64_t, int64_t) { launched_(); };
  bool launched_running_ = false;
  int64_t min_work_ = 1 << 16;
};

// The process's pool (one thread until set_shared_threads says otherwise).
ThreadPool& shared_pool();
// Replaces the process's pool with one of `threads` threads (0: one per core), each worker
// calling `on_start` first.
void set_shared_threads(int64_t threads, const std::function<void()>& on_start = {}, bool always_split = false);

}  // namespace embtrain
