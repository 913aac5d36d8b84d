// test_threads.cpp — ThreadPool: ranges that cover the index space once, aligned, on up to N
// threads; a failure in any range reaches the caller; bad usage (no work) is no work.
#include "embtrain/text/threads.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../catch.h"

using namespace embtrain;

namespace {

// The ranges one run() hands out, sorted.
std::vector<std::pair<int64_t, int64_t>> ranges_of(ThreadPool& pool, int64_t n, int64_t grain, int64_t align) {
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  pool.run(
      n, grain,
      [&](int64_t begin, int64_t end) {
        std::lock_guard<std::mutex> lock(mutex);
        ranges.emplace_back(begin, end);
      },
      align);
  std::sort(ranges.begin(), ranges.end());
  return ranges;
}

}  // namespace

TEST_CASE("run covers [0, n) once, in at most size() ranges, boundaries aligned") {
  ThreadPool pool(3);
  REQUIRE(pool.size() == 3);
  const auto ranges = ranges_of(pool, 1000, 1, 64);
  // 1000 / 3 = 333 -> 320 (a multiple of 64), 666 -> 640, then the rest.
  CHECK(ranges == std::vector<std::pair<int64_t, int64_t>>{{0, 320}, {320, 640}, {640, 1000}});
  CHECK(ranges_of(pool, 10, 1, 1) == std::vector<std::pair<int64_t, int64_t>>{{0, 3}, {3, 6}, {6, 10}});
  // A grain larger than half the work: one range, on the caller.
  CHECK(ranges_of(pool, 100, 60, 1) == std::vector<std::pair<int64_t, int64_t>>{{0, 100}});
  CHECK(ranges_of(pool, 0, 1, 1).empty());
}

TEST_CASE("run_interleaved deals aligned chunks out in turn: the caller takes chunks 0, T, 2T...") {
  ThreadPool pool(2);
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> callers, others;
  const std::thread::id caller = std::this_thread::get_id();
  const auto record = [&](int64_t begin, int64_t end) {
    std::lock_guard<std::mutex> lock(mutex);
    (std::this_thread::get_id() == caller ? callers : others).emplace_back(begin, end);
  };
  pool.run_interleaved(1000, 1, record, 64);
  // 1000 / (4 chunks × 2 threads) = 125 -> 128 (a multiple of 64): 8 chunks, the last short.
  CHECK(callers == std::vector<std::pair<int64_t, int64_t>>{{0, 128}, {256, 384}, {512, 640}, {768, 896}});
  CHECK(others == std::vector<std::pair<int64_t, int64_t>>{{128, 256}, {384, 512}, {640, 768}, {896, 1000}});
  // A grain sets the chunk's least size: 1000 / 300 -> chunks of 300, 2 threads take 0, 2 and 1, 3.
  callers.clear(), others.clear();
  pool.run_interleaved(1000, 300, record);
  CHECK(callers == std::vector<std::pair<int64_t, int64_t>>{{0, 300}, {600, 900}});
  CHECK(others == std::vector<std::pair<int64_t, int64_t>>{{300, 600}, {900, 1000}});
  // One chunk's worth: one call on the caller; no work: no call.
  callers.clear(), others.clear();
  pool.run_interleaved(100, 100, record);
  CHECK(callers == std::vector<std::pair<int64_t, int64_t>>{{0, 100}});
  CHECK(others.empty());
  pool.run_interleaved(0, 1, record);
  CHECK(callers.size() == 1);
}

TEST_CASE("run_interleaved writes every element once, whatever the thread count") {
  for (const int64_t threads : {1, 2, 3, 7}) {
    ThreadPool pool(threads);
    for (const int64_t n : {1, 5, 64, 12345}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<bool> aligned{true};  // Catch2's CHECK is not for worker threads: checked below
      pool.run_interleaved(n, 1, [&](int64_t begin, int64_t end) {
        if (begin % 16 != 0) aligned = false;
        for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)]++;
      }, 16);
      CHECK(aligned);
      bool once = true;
      for (const auto& hit : hits) once = once && hit == 1;
      CHECK(once);
    }
  }
}

TEST_CASE("every element is written once, whatever the thread count") {
  for (const int64_t threads : {1, 2, 3, 7}) {
    ThreadPool pool(threads);
    std::vector<std::atomic<int>> hits(12345);
    pool.run(static_cast<int64_t>(hits.size()), 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)]++;
    });
    bool once = true;
    for (const auto& hit : hits) once = once && hit == 1;
    CHECK(once);
  }
}

TEST_CASE("the ranges run on more than one thread, and the caller is one of them") {
  ThreadPool pool(2);
  std::mutex mutex;
  std::set<std::thread::id> seen;
  pool.run(2, 1, [&](int64_t, int64_t) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.insert(std::this_thread::get_id());
  });
  CHECK(seen.size() == 2);
  CHECK(seen.count(std::this_thread::get_id()) == 1);
}

TEST_CASE("a failure in a worker's range is rethrown once every range has finished") {
  ThreadPool pool(3);
  std::atomic<int> finished{0};
  CHECK_THROWS_WITH(pool.run(3, 1,
                             [&](int64_t begin, int64_t) {
                               if (begin > 0 && begin < 2) throw std::runtime_error("range 1 failed");
                               ++finished;
                             }),
                    "range 1 failed");
  CHECK(finished == 2);
  // The pool is usable afterwards.
  std::atomic<int64_t> sum{0};
  pool.run(100, 1, [&](int64_t begin, int64_t end) { sum += end - begin; });
  CHECK(sum == 100);
}

TEST_CASE("worth_splitting: one thread never splits, the measured hand-off sets the threshold") {
  ThreadPool one(1);
  CHECK_FALSE(one.worth_splitting(int64_t{1} << 40));
  ThreadPool two(2);
  CHECK(two.worth_splitting(int64_t{1} << 30));
  CHECK_FALSE(two.worth_splitting(1));
  ThreadPool forced(2, {}, /*always_split=*/true);
  CHECK(forced.worth_splitting(1));
}

TEST_CASE("launch runs its function on a worker while the caller goes on, and run waits for it") {
  ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> released{false}, finished{false};
  std::thread::id ran_on;
  pool.launch([&] {
    ran_on = std::this_thread::get_id();
    // Holds until the caller, past launch(), releases it: a launch() that ran the function on
    // the caller's thread would never return here.
    while (!released.load()) std::this_thread::yield();
    finished = true;
  });
  released = true;
  // run() first waits for the launched function: its ranges see it finished.
  std::atomic<int> saw_finished{0};
  pool.run(2, 1, [&](int64_t, int64_t) { saw_finished += finished.load() ? 1 : 0; });
  CHECK(saw_finished == 2);
  CHECK(ran_on != caller);
  pool.wait_launched();  // nothing launched any more: returns at once
}

TEST_CASE("a launched function's failure reaches wait_launched, and the pool is usable afterwards") {
  ThreadPool pool(3);
  pool.launch([] { throw std::runtime_error("launched job failed"); });
  CHECK_THROWS_WITH(pool.wait_launched(), "launched job failed");
  pool.launch([] { throw std::runtime_error("failed again"); });
  CHECK_THROWS_WITH(pool.run(3, 1, [](int64_t, int64_t) {}), "failed again");  // run() waited for it
  std::atomic<int64_t> sum{0};
  pool.run(100, 1, [&](int64_t begin, int64_t end) { sum += end - begin; });
  CHECK(sum == 100);
}

TEST_CASE("a pool of one thread runs a launched function on the spot, on the caller") {
  ThreadPool pool(1);
  std::thread::id ran_on;
  pool.launch([&] { ran_on = std::this_thread::get_id(); });
  CHECK(ran_on == std::this_thread::get_id());
  CHECK_THROWS_WITH(pool.launch([] { throw std::runtime_error("at once"); }), "at once");
}

TEST_CASE("run_tasks runs every task once, whatever the thread count") {
  for (const int64_t threads : {1, 2, 3, 7}) {
    ThreadPool pool(threads);
    for (const int64_t n : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{5}, int64_t{1000}}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.run_tasks(n, [&](int64_t task) { ++hits[static_cast<size_t>(task)]; });
      bool once = true;
      for (const auto& hit : hits) once = once && hit == 1;
      CHECK(once);
    }
  }
}

TEST_CASE("run_tasks: a thread held by a long task leaves the rest to the others") {
  ThreadPool pool(2);
  std::atomic<bool> released{false};
  std::atomic<int> others_done{0};
  // Task 0 holds its thread until the other 99 are done: only a pool that hands tasks out as
  // threads come free can finish (contiguous halves would leave half of them behind task 0).
  pool.run_tasks(100, [&](int64_t task) {
    if (task == 0) {
      while (others_done.load() < 99) std::this_thread::yield();
      released = true;
      return;
    }
    ++others_done;
  });
  CHECK(released);
  CHECK(others_done == 99);
}

TEST_CASE("the pool called again from inside a job does that work inline, on the calling thread") {
  ThreadPool pool(2);
  std::atomic<int64_t> covered{0};
  std::atomic<bool> inline_everywhere{true};
  pool.run(2, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const std::thread::id self = std::this_thread::get_id();
      // Evaluation's forward pass runs in the pool's jobs and may reach a split kernel.
      pool.run(100, 1, [&](int64_t b, int64_t e) {
        covered += e - b;
        if (std::this_thread::get_id() != self) inline_everywhere = false;
      });
      pool.run_tasks(3, [&](int64_t) { covered += 1; });
      pool.launch([&] { covered += 1000; });
      pool.wait_launched();
    }
  });
  CHECK(covered == 2 * (100 + 3 + 1000));
  CHECK(inline_everywhere);
}
