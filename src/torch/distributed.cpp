// distributed.cpp — joining a c10d group over Gloo, the start-up check, gradient exchange.
#include "embtrain/torch/distributed.h"

#include <spdlog/spdlog.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#ifdef EMBTRAIN_HAVE_GLOO
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>

#include "embtrain/text/error.h"
#include "embtrain/text/signals.h"

namespace embtrain {

std::pair<int64_t, int64_t> Workers::slice(int64_t count, int64_t rank) const {
  const int64_t base = count / size_, extra = count % size_;
  const int64_t begin = rank * base + std::min(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

std::string Workers::traffic() const {
  const double steps = static_cast<double>(std::max<int64_t>(steps_, 1));
  return fmt::format("{:.1f} KB dense + {:.1f} KB sparse", static_cast<double>(dense_bytes_) / steps / 1e3,
                     static_cast<double>(sparse_bytes_) / steps / 1e3);
}

#ifdef EMBTRAIN_HAVE_GLOO
namespace {

using std::chrono::milliseconds;

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

// The store the workers meet at (distributed.h). Rank 0 hosts a TCPStore unless torchrun's
// agent does; keys are kept apart per restart of the same job.
c10::intrusive_ptr<c10d::Store> open_store(const WorkerSetup& setup, milliseconds timeout) {
  c10::intrusive_ptr<c10d::Store> base;
  if (!setup.store_file.empty()) {
    base = c10::make_intrusive<c10d::FileStore>(setup.store_file, static_cast<int>(setup.world_size));
  } else {
    if (setup.master_addr.empty() || setup.port <= 0) {
      throw Error::usage("a distributed run needs MASTER_ADDR and MASTER_PORT (torchrun sets them)");
    }
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(setup.port);
    options.isServer = !setup.agent_store && setup.rank == 0;
    options.numWorkers = static_cast<std::size_t>(setup.world_size);
    options.waitWorkers = false;
    options.timeout = timeout;
    options.multiTenant = true;
    base = c10::make_intrusive<c10d::TCPStore>(setup.master_addr, options);
  }
  base->setTimeout(timeout);
  return c10::make_intrusive<c10d::PrefixStore>("embtrain/attempt_" + std::to_string(setup.restart_count), base);
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const WorkerSetup& setup) {
  if (!setup.gloo_host.empty()) return c10d::ProcessGroupGloo::createDeviceForHostname(setup.gloo_host);
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

std::string to_string(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }
std::vector<uint8_t> to_bytes(const std::string& text) { return {text.begin(), text.end()}; }

// LibTorch's and Gloo's messages start with a source location and end with advice for
// PyTorch's own developers: the first sentence after the location is what happened.
std::string reason_of(const std::exception& e) {
  std::string what = e.what();
  if (!what.empty() && what[0] == '[') {
    const auto close = what.find("] ");
    if (close != std::string::npos) what = what.substr(close + 2);
  }
  for (const char* cut : {" This is typically", "\n"}) {
    const auto at = what.find(cut);
    if (at != std::string::npos) what = what.substr(0, at);
  }
  return what;
}

// True when process `pid` on this host has exited (or is a zombie its parent has not reaped).
bool process_gone(long pid) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

}  // namespace

Workers::Workers(const WorkerSetup& setup, const Fingerprint& run, std::chrono::seconds timeout,
                 std::chrono::seconds setup_timeout)
    : rank_(setup.rank), size_(setup.world_size), timeout_(timeout) {
  try {
    store_ = open_store(setup, setup_timeout);
    // Where each worker runs, so that a survivor can name a worker that is gone (lost()).
    store_->set("pid/" + std::to_string(rank_), to_bytes(host_name() + " " + std::to_string(::getpid())));
  } catch (const std::exception& e) {
    throw Error::runtime("cannot reach the other workers' store " +
                         (setup.store_file.empty() ? setup.master_addr + ":" + std::to_string(setup.port)
                                                   : "'" + setup.store_file + "'") +
                         ": " + reason_of(e));
  }
  check_same(run);
  try {
    auto options = c10d::ProcessGroupGloo::Options::create(milliseconds(timeout));
    options->devices.push_back(gloo_device(setup));
    options->threads = 1;  // one collective at a time: a second thread only adds hand-offs
    group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, static_cast<int>(rank_),
                                                         static_cast<int>(size_), options);
  } catch (const std::exception& e) {
    lost(e, "while the workers connected");
  }
  store_->setTimeout(milliseconds(timeout));
  spdlog::debug("joined {} workers as rank {}", size_, rank_);
}

Workers::~Workers() = default;


// Every worker publishes its run; rank 0 compares them all with its own and publishes the
// verdict, which every worker reads, so that all stop (or all go on) together.
void Workers::check_same(const Fingerprint& run) {
  const std::string mine = to_text(run);
  std::string verdict;
  try {
    store_->set("run/" + std::to_string(rank_), to_bytes(mine));
    if (rank_ == 0) {
      for (int64_t r = 1; r < size_; ++r) {
        const auto theirs = fingerprint_from_text(to_string(store_->get("run/" + std::to_string(r))));
        const std::string differences =
            fingerprint_differences(run, theirs, "on rank 0", "on rank " + std::to_string(r));
        if (!differences.empty()) verdict += (verdict.empty() ? "" : "; ") + ("rank " + std::to_string(r) + " differs from rank 0: " + differences);
      }
      store_->set("verdict", to_bytes(verdict.empty() ? "ok" : verdict));
    }
    verdict = to_string(store_->get("verdict"));
  } catch (const std::exception& e) {
    lost(e, "while the workers compared their runs");
  }
  if (verdict != "ok") {
    throw Error::usage("the workers do not train the same run (each must read the same config, "
                       "data and vocabulary): " + verdict);
  }
}

void Workers::lost(const std::exception& e, const std::string& where) const {
  std::string gone;
  try {
    store_->setTimeout(milliseconds(2000));
    const std::string here = host_name();
    for (int64_t r = 0; r < size_; ++r) {
      if (r == rank_ || !store_->check({"pid/" + std::to_string(r)})) continue;
      const std::string text = to_string(store_->get("pid/" + std::to_string(r)));
      const auto space = text.rfind(' ');
      if (space == std::string::npos || text.substr(0, space) != here) continue;
      const long pid = std::atol(text.c_str() + space + 1);
      if (process_gone(pid)) gone += (gone.empty() ? "" : ", ") + ("rank " + std::to_string(r) + " (pid " + std::to_string(pid) + ") has exited");
    }
  } catch (const std::exception&) {
    // The store went with the worker that hosted it: nothing more to say.
  }
  throw Error::runtime("lost contact with the other workers " + where +
                       (gone.empty() ? "" : ": " + gone) + " (a worker stopped, or none answered within "
                       "train.dist_timeout=" + std::to_string(timeout_.count()) + " s): " + reason_of(e));
}

std::pair<double, bool> Workers::sum_gradients(const std::vector<torch::Tensor>& parameters,
                                               const std::vector<bool>& sparse, double loss, bool stop,
                                               const std::string& where) {
  std::vector<torch::Tensor> pieces;  // each dense gradient flattened, [P_i] float32 on the CPU
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (sparse[i]) continue;
    const auto& grad = parameters[i].grad();
    pieces.push_back(grad.defined() ? grad.detach().reshape({-1}).to(torch::kCPU, torch::kFloat32)
                                    : torch::zeros({parameters[i].numel()}));
  }
  pieces.push_back(torch::tensor({static_cast<float>(loss), stop ? 1.0f : 0.0f}));
  torch::Tensor summed;  // [P + 2]: the dense gradients, the loss, the stop flags, summed
  ++steps_;
  const auto sparse_at = std::find(sparse.begin(), sparse.end(), true);
  try {
    if (sparse_at == sparse.end()) {
      std::vector<torch::Tensor> flat{torch::cat(pieces)};
      dense_bytes_ += flat[0].nbytes();
      group_->allreduce(flat)->wait();
      summed = flat[0];
    } else {
      summed = gather_step(torch::cat(pieces), parameters[static_cast<size_t>(sparse_at - sparse.begin())]);
    }
  } catch (const std::exception& e) {  // c10::Error, or Gloo's own (a peer gone, a timeout)
    lost(e, where);
  }
  int64_t at = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (sparse[i]) continue;
    auto parameter = parameters[i];  // shares the parameter's grad slot
    const int64_t n = parameter.numel();
    parameter.mutable_grad() = summed.narrow(0, at, n).view(parameter.sizes()).to(parameter.device());
    at += n;
  }
  const auto* tail = summed.data_ptr<float>() + at;
  return {static_cast<double>(tail[0]), tail[1] > 0};
}

// With a sparse embedding gradient, a step is two allgathers (Gloo's latency per collective,
// ~0.5 ms on loopback, is much of a small step's cost, and an allgather of a few KB costs less
// than an allreduce):
//   1. [dense [P + 2], K (int32 bits)] from each worker; every worker sums the dense parts in
//      rank order;
//   2. [rows [K_max] (int32 bits), values [K_max, D]], padded to the largest K; every worker
//      concatenates the rows [sum K_r] and values [sum K_r, D] in rank order and coalesces them.
torch::Tensor Workers::gather_step(const torch::Tensor& dense, const torch::Tensor& embedding) {
  const int64_t dim = embedding.size(1), p = dense.size(0);
  const auto& grad = embedding.grad();
  const int64_t k = grad.defined() ? grad._indices().size(1) : 0;
  auto mine = torch::empty({p + 1});
  mine.narrow(0, 0, p).copy_(dense);
  mine.narrow(0, p, 1).view(torch::kInt32).fill_(static_cast<int32_t>(k));
  dense_bytes_ += mine.nbytes();
  const auto firsts = allgather(mine);
  torch::Tensor summed = firsts[0].narrow(0, 0, p).clone();  // [P]
  std::vector<int64_t> counts;                                // K_r
  for (int64_t r = 0; r < size_; ++r) {
    if (r > 0) summed += firsts[static_cast<size_t>(r)].narrow(0, 0, p);
    counts.push_back(firsts[static_cast<size_t>(r)].narrow(0, p, 1).view(torch::kInt32).item<int32_t>());
  }
  const int64_t most = *std::max_element(counts.begin(), counts.end());
  auto rows_and_values = torch::zeros({most + most * dim});
  if (k > 0) {
    rows_and_values.narrow(0, 0, k).view(torch::kInt32).copy_(grad._indices()[0]);
    rows_and_values.narrow(0, most, k * dim).copy_(grad._values().reshape({-1}));
  }
  sparse_bytes_ += rows_and_values.nbytes();
  const auto seconds = allgather(rows_and_values);
  std::vector<torch::Tensor> rows, values;
  for (int64_t r = 0; r < size_; ++r) {
    const auto& theirs = seconds[static_cast<size_t>(r)];
    const int64_t kr = counts[static_cast<size_t>(r)];
    rows.push_back(theirs.narrow(0, 0, kr).view(torch::kInt32).to(torch::kInt64));  // [K_r]
    values.push_back(theirs.narrow(0, most, kr * dim).view({kr, dim}));              // [K_r, D]
  }
  auto slot = embedding;  // shares the embedding's grad slot
  slot.mutable_grad() =
      torch::sparse_coo_tensor(torch::cat(rows).unsqueeze(0), torch::cat(values), embedding.sizes())
          .coalesce()
          .to(embedding.device());  // [V, D], the rows of every worker's slice
  return summed;
}

// Two allgathers: [loss, stop, K_t for each parameter t] in float64 (exact for K < 2^53), then
// each parameter's rows (int32 bits) and values, padded to the largest K_t of any worker.
std::pair<double, bool> Workers::gather_uses(const std::vector<torch::Tensor>& parameters, double loss, bool stop,
                                             const std::string& where) {
  const auto n = static_cast<int64_t>(parameters.size());
  ++steps_;
  try {
    auto mine = torch::empty({2 + n}, torch::kFloat64);
    auto* head = mine.data_ptr<double>();
    head[0] = loss;
    head[1] = stop ? 1.0 : 0.0;
    for (int64_t t = 0; t < n; ++t) {
      const auto& grad = parameters[static_cast<size_t>(t)].grad();
      head[2 + t] = grad.defined() ? static_cast<double>(grad._indices().size(1)) : 0.0;
    }
    dense_bytes_ += mine.nbytes();
    const auto heads = allgather(mine);
    double total = 0;
    bool any_stop = false;
    std::vector<int64_t> most(static_cast<size_t>(n), 0), offset(static_cast<size_t>(n), 0);
    for (const auto& h : heads) {
      const auto* d = h.data_ptr<double>();
      total += d[0];
      any_stop = any_stop || d[1] > 0;
      for (int64_t t = 0; t < n; ++t) most[static_cast<size_t>(t)] = std::max(most[static_cast<size_t>(t)], static_cast<int64_t>(d[2 + t]));
    }
    int64_t length = 0;  // parameter t: rows [most_t] then values [most_t, D_t] from offset_t
    for (int64_t t = 0; t < n; ++t) {
      offset[static_cast<size_t>(t)] = length;
      length += most[static_cast<size_t>(t)] * (1 + parameters[static_cast<size_t>(t)].size(1));
    }
    auto packed = torch::zeros({length});
    for (int64_t t = 0; t < n; ++t) {
      const auto& grad = parameters[static_cast<size_t>(t)].grad();
      const int64_t k = grad.defined() ? grad._indices().size(1) : 0, dim = parameters[static_cast<size_t>(t)].size(1);
      const int64_t at = offset[static_cast<size_t>(t)], width = most[static_cast<size_t>(t)];
      if (k == 0) continue;
      packed.narrow(0, at, k).view(torch::kInt32).copy_(grad._indices()[0]);
      packed.narrow(0, at + width, k * dim).copy_(grad._values().reshape({-1}));
    }
    sparse_bytes_ += packed.nbytes();
    const auto all = allgather(packed);
    for (int64_t t = 0; t < n; ++t) {
      auto parameter = parameters[static_cast<size_t>(t)];  // shares the parameter's grad slot
      const int64_t dim = parameter.size(1), at = offset[static_cast<size_t>(t)], width = most[static_cast<size_t>(t)];
      std::vector<torch::Tensor> rows, values;
      for (int64_t r = 0; r < size_; ++r) {
        const auto kr = static_cast<int64_t>(heads[static_cast<size_t>(r)].data_ptr<double>()[2 + t]);
        const auto& theirs = all[static_cast<size_t>(r)];
        rows.push_back(theirs.narrow(0, at, kr).view(torch::kInt32).to(torch::kInt64));  // [K_r]
        values.push_back(theirs.narrow(0, at + width, kr * dim).view({kr, dim}));         // [K_r, D]
      }
      parameter.mutable_grad() =
          at::_sparse_coo_tensor_unsafe(torch::cat(rows).unsqueeze(0), torch::cat(values), parameter.sizes());
    }
    return {total, any_stop};
  } catch (const std::exception& e) {  // c10::Error, or Gloo's own (a peer gone, a timeout)
    lost(e, where);
  }
}

std::vector<torch::Tensor> Workers::allgather(const torch::Tensor& mine) {
  std::vector<std::vector<torch::Tensor>> all(1);
  for (int64_t r = 0; r < size_; ++r) all[0].push_back(torch::empty_like(mine));
  std::vector<torch::Tensor> input{mine};
  group_->allgather(all, input)->wait();
  return all[0];
}


void Workers::sum(Tally& tally, size_t classes, const std::string& where) {
  const auto values = tally.to_values(classes);
  std::vector<torch::Tensor> buffer{torch::tensor(values, torch::kFloat64)};
  try {
    group_->allreduce(buffer)->wait();
  } catch (const std::exception& e) {
    lost(e, where);
  }
  const auto* summed = buffer[0].data_ptr<double>();
  tally = Tally::from_values(std::vector<double>(summed, summed + values.size()), classes);
}

#else  // built without Gloo's headers: one process only

Workers::Workers(const WorkerSetup& setup, const Fingerprint&, std::chrono::seconds timeout, std::chrono::seconds)
    : rank_(setup.rank), size_(setup.world_size), timeout_(timeout) {
  throw Error::usage("this embtrain was built without Gloo's headers (Debian's libgloo-dev), so it cannot "
                     "train as several workers (--nproc, torchrun): install libgloo-dev and build again "
                     "(scripts/deps.sh, then scripts/build.sh)");
}

Workers::~Workers() = default;

std::pair<double, bool> Workers::sum_gradients(const std::vector<torch::Tensor>&, const std::vector<bool>&, double loss,
                                               bool stop, const std::string&) {
  return {loss, stop};
}

std::pair<double, bool> Workers::gather_uses(const std::vector<torch::Tensor>&, double loss, bool stop,
                                             const std::string&) {
  return {loss, stop};
}

void Workers::sum(Tally&, size_t, const std::string&) {}

#endif  // EMBTRAIN_HAVE_GLOO

// How long workers wait for each other to arrive: each reads and encodes its data first.
constexpr std::chrono::seconds kWorkerSetupTimeout{600};

std::unique_ptr<Workers> join_workers(const WorkerSetup& setup, Fingerprint run, const TrainConfig& train,
                                      const std::string& resume_at) {
  run.parts["train.epochs"] = std::to_string(train.epochs);
  run.parts["resume at"] = resume_at.empty() ? "a new run" : resume_at;
  const auto timeout = std::chrono::seconds(train.dist_timeout);
  ignore_broken_pipes();  // a dead peer is an error to report, not a signal to die of
  return std::make_unique<Workers>(setup, run, timeout, std::max(timeout, kWorkerSetupTimeout));
}

}  // namespace embtrain
