// workers.h — a data-parallel `train` from the command line's side (torch-free): where this
// process stands among the workers (the environment torchrun or --nproc sets), and `--nproc`'s
// launcher, which starts the workers on this machine and waits for them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "embtrain/run.h"

namespace embtrain::cli {

// RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT, TORCHELASTIC_USE_AGENT_STORE,
// TORCHELASTIC_RESTART_COUNT, and the launcher's EMBTRAIN_STORE_FILE / EMBTRAIN_GLOO_HOST.
// A single process (world_size 1) when WORLD_SIZE is unset. Throws Error (usage) naming the
// variable when one is malformed.
WorkerSetup worker_setup_from_environment();

// True in a process that --nproc started (it trains as a worker instead of launching).
bool launched_by_nproc();

// "[rank R] " in a worker of a data-parallel run, else "": what log and error lines start with.
const std::string& worker_prefix();

// Runs this process's command line again as `nproc` workers of one run on this machine: each
// told its rank, all meeting at a FileStore in a fresh private temp folder, Gloo bound to
// 127.0.0.1, so nothing listens where another host could reach it. Signals reach the workers
// through the launcher (they run in their own process group): Ctrl-C stops them all at the
// same step. When a worker fails (other than by a signal forwarded to it), the others get `grace`
// to notice and stop on their own, then are killed. Returns the exit code: 0, or the first
// failed worker's (128 + signal if killed).
int launch_workers(int64_t nproc, std::chrono::seconds grace);

}  // namespace embtrain::cli
