// threads.h (torch) — the one place a training process sets its threads.
//
// ATen computes every op on one intra-op thread, as the single-threaded Python reference does
// (so the small dense layers, BCE and sort keep their bits whatever train.threads is, and no
// OpenMP hand-off is paid per small op). train.threads sizes the ThreadPool (text/threads.h)
// that whole kernels are split over: the sparse backward over distinct rows, Adam's per-row
// and per-element updates (as tasks, beside the small dense layers' own), and evaluation over
// batches; a step's sort of its ids runs on one worker beside the dense layers
// (ThreadPool::launch). Nothing else calls at::set_num_threads.
#pragma once

#include <cstdint>

namespace embtrain {

// `threads`: train.threads (0: one per core). Call once, before training. `always_split`
// (tests only) splits every region, however small.
void use_threads(int64_t threads, bool always_split = false);

}  // namespace embtrain
