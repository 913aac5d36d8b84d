// threads.cpp (torch) — ATen on one thread, the shared pool on train.threads.
#include "embtrain/torch/threads.h"

#include <ATen/Parallel.h>

#include "embtrain/text/threads.h"

namespace embtrain {

void use_threads(int64_t threads, bool always_split) {
  at::set_num_threads(1);
  set_shared_threads(threads, [] { at::set_num_threads(1); }, always_split);
}

}  // namespace embtrain
