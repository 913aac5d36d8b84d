// distributed.cpp — joining a c10d group over Gloo, the start-up check, gradient exchange.
#include "embtrain/torch/distributed.h"

#include <spdlog/spdlog.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>

#include "embtrain/text/error.h"

namespace embtrain {
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
  } catch (const c10::Error& e) {
    throw Error::runtime("rank " + std::to_string(rank_) + ": cannot reach the other workers' store " +
                         (setup.store_file.empty() ? setup.master_addr + ":" + std::to_string(setup.port)
                                                   : "'" + setup.store_file + "'") +
                         ": " + reason_of(e));
  }
  check_same(run);
  try {
    auto options = c10d::ProcessGroupGloo::Options::create(milliseconds(timeout));
    options->devices.push_back(gloo_device(setup));
    group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, static_cast<int>(rank_),
                                                         static_cast<int>(size_), options);
  } catch (const c10::Error& e) {
    lost(e, "while the workers connected");
  }
  store_->setTimeout(milliseconds(timeout));
  spdlog::debug("joined {} workers as rank {}", size_, rank_);
}

Workers::~Workers() = default;

std::pair<int64_t, int64_t> Workers::slice(int64_t count) const {
  const int64_t base = count / size_, extra = count % size_;
  const int64_t begin = rank_ * base + std::min(rank_, extra);
  return {begin, begin + base + (rank_ < extra ? 1 : 0)};
}

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
  } catch (const c10::Error& e) {
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
  throw Error::runtime("rank " + std::to_string(rank_) + ": lost contact with the other workers " + where +
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
  std::vector<torch::Tensor> flat{torch::cat(pieces)};  // [P + 2]
  try {
    group_->allreduce(flat)->wait();
  } catch (const std::exception& e) {
    lost(e, where);
  }
  int64_t at = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    auto parameter = parameters[i];  // shares the parameter's grad slot
    if (sparse[i]) {
      parameter.mutable_grad() = gather_sparse(parameter, where).to(parameter.device());
      continue;
    }
    const int64_t n = parameter.numel();
    parameter.mutable_grad() = flat[0].narrow(0, at, n).view(parameter.sizes()).to(parameter.device());
    at += n;
  }
  const auto* tail = flat[0].data_ptr<float>() + at;
  return {static_cast<double>(tail[0]), tail[1] > 0};
}

// Each worker's rows [K_r] and values [K_r, D], padded to the largest K for Gloo's allgather,
// then trimmed and concatenated in rank order: one coalesce sums rows that several workers hit.
torch::Tensor Workers::gather_sparse(const torch::Tensor& parameter, const std::string& where) {
  const auto& grad = parameter.grad();
  const int64_t dim = parameter.size(1);
  torch::Tensor rows = torch::empty({0}, torch::kInt64), values = torch::empty({0, dim});
  if (grad.defined()) {
    rows = grad._indices()[0].to(torch::kCPU);                      // [K]
    values = grad._values().to(torch::kCPU, torch::kFloat32);       // [K, D]
  }
  try {
    std::vector<std::vector<torch::Tensor>> counts(1, std::vector<torch::Tensor>(static_cast<size_t>(size_)));
    for (auto& c : counts[0]) c = torch::empty({1}, torch::kInt64);
    std::vector<torch::Tensor> count{torch::tensor({rows.size(0)}, torch::kInt64)};
    group_->allgather(counts, count)->wait();
    std::vector<int64_t> k(static_cast<size_t>(size_));
    for (size_t r = 0; r < k.size(); ++r) k[r] = counts[0][r].item<int64_t>();
    const int64_t most = *std::max_element(k.begin(), k.end());
    // Padded to `most` rows; the padding is trimmed below, never summed.
    std::vector<torch::Tensor> padded_rows{torch::zeros({most}, torch::kInt64)};
    std::vector<torch::Tensor> padded_values{torch::zeros({most, dim})};
    padded_rows[0].narrow(0, 0, rows.size(0)).copy_(rows);
    padded_values[0].narrow(0, 0, rows.size(0)).copy_(values);
    std::vector<std::vector<torch::Tensor>> all_rows(1), all_values(1);
    for (int64_t r = 0; r < size_; ++r) {
      all_rows[0].push_back(torch::empty({most}, torch::kInt64));
      all_values[0].push_back(torch::empty({most, dim}));
    }
    group_->allgather(all_rows, padded_rows)->wait();
    group_->allgather(all_values, padded_values)->wait();
    std::vector<torch::Tensor> kept_rows, kept_values;
    for (size_t r = 0; r < k.size(); ++r) {
      kept_rows.push_back(all_rows[0][r].narrow(0, 0, k[r]));
      kept_values.push_back(all_values[0][r].narrow(0, 0, k[r]));
    }
    return torch::sparse_coo_tensor(torch::cat(kept_rows).unsqueeze(0), torch::cat(kept_values),
                                    parameter.sizes())
        .coalesce();  // [V, D], the rows of every worker's slice
  } catch (const c10::Error& e) {
    lost(e, where);
  }
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

}  // namespace embtrain
