// run.h — one `embtrain train` run: data -> vocab -> model -> train -> files.
//
// This header is torch-free so that the CLI can fill RunOptions without loading
// LibTorch; run_training itself lives in the torch library, reached through
// backend.h, and takes the data that prepare.h made while LibTorch loaded.
#pragma once

#include <cstdint>
#include <string>

namespace embtrain {

struct Config;
struct PreparedData;

// Where this process stands among the workers of a data-parallel run (distributed.h), read from
// the environment that `train --nproc` or torchrun sets. world_size 1: a single process.
struct WorkerSetup {
  int64_t rank = 0;        // RANK
  int64_t world_size = 1;  // WORLD_SIZE
  int64_t local_rank = 0;  // LOCAL_RANK: picks cuda:LOCAL_RANK for train.device=cuda
  // The c10d store the workers meet at: a FileStore (train --nproc: no socket at all), or a
  // TCPStore at MASTER_ADDR:MASTER_PORT (torchrun), hosted by rank 0 unless torchrun's agent
  // hosts it (TORCHELASTIC_USE_AGENT_STORE=True).
  std::string store_file;
  std::string master_addr;
  int port = 0;
  bool agent_store = false;
  int64_t restart_count = 0;  // TORCHELASTIC_RESTART_COUNT: keys of each attempt apart
  // The address Gloo's connections bind to: "127.0.0.1" under --nproc (loopback only);
  // empty: GLOO_SOCKET_IFNAME's interface, else the host name's address (as PyTorch does).
  std::string gloo_host;

  bool distributed() const { return world_size > 1; }
  bool writes() const { return rank == 0; }  // rank 0 alone writes the run folder
};

// Test-only hooks, read from the environment by the CLI (cli/train.cpp says which variables):
// raise `signal` right after step `step` of epoch `epoch`, `times` times, in worker `rank`
// (-1: every worker), only in torchrun's first attempt; so that a test stops a run at a point
// known in advance instead of racing a timer.
struct TestSignal {
  int64_t epoch = 0, step = 0, signal = 0, times = 1;
  int64_t rank = -1;
  bool fires_in(const WorkerSetup& w) const { return w.restart_count == 0 && (rank < 0 || rank == w.rank); }
};

struct RunOptions {
  std::string output_dir;  // where config.json, vocab.txt, model.pt, metrics.jsonl, report.json go
  bool force = false;      // replace an existing run in output_dir
  bool quiet = false;      // no progress line, warnings only
  bool json = false;       // print a JSON summary on stdout
  bool resume = false;     // continue the run in output_dir from its checkpoint.pt
  WorkerSetup workers;     // a single process unless started by --nproc or torchrun
  TestSignal test_signal;  // tests only
  bool test_split_always = false;  // tests only: every threaded kernel splits, however small
  std::string profile;     // a Chrome trace of every LibTorch op to this file ("": none)
};

// Trains on `data` (from prepare_data) and writes the run into
// options.output_dir, which RunDir::prepare_new or open_resumable has vetted. Returns the exit code:
// 0, or 128 + the signal that interrupted it (after writing a checkpoint and the
// report so far). Throws Error.
int run_training(const Config& config, const RunOptions& options, PreparedData& data);

}  // namespace embtrain
