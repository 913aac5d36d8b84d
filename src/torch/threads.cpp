// threads.cpp (torch) — ATen on one thread, the shared pool on train.threads.
#include "embtrain/torch/threads.h"

#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include "embtrain/text/threads.h"

namespace embtrain {

void use_threads(int64_t threads, bool always_split) {
  at::set_num_threads(1);
  set_shared_threads(threads, [] { at::set_num_threads(1); }, always_split);
  const ThreadPool& pool = shared_pool();
  spdlog::debug("{} thread(s); a kernel is split when its work reaches {} units (4 × the measured hand-off, in ns)",
                pool.size(), pool.size() > 1 ? pool.min_work() : 0);
}

}  // namespace embtrain
