// workers.cpp — the worker environment and `train --nproc`'s launcher.
#include "cli/workers.h"

#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "embtrain/text/error.h"
#include "embtrain/text/signals.h"

extern char** environ;

namespace embtrain::cli {
namespace {

constexpr const char* kWorkerMark = "EMBTRAIN_NPROC_WORKER";

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The integer in variable `name`, `fallback` when unset; an Error naming it when malformed.
int64_t integer_variable(const char* name, int64_t fallback, int64_t low, int64_t high) {
  const std::string text = environment(name);
  if (text.empty()) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || value < low || value > high) {
    throw Error::usage("environment variable " + std::string(name) + " is '" + text +
                       "': expected an integer from " + std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

// argv of this process, from /proc/self/cmdline (NUL-separated).
std::vector<std::string> own_arguments() {
  std::ifstream file("/proc/self/cmdline", std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\0') {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  if (out.empty()) throw Error::runtime("cannot read this process's command line from /proc/self/cmdline");
  return out;
}

volatile std::sig_atomic_t forwarded_signal = 0;
void remember_signal(int number) { forwarded_signal = number; }

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const int number = WTERMSIG(status);
    return "was killed by signal " + std::to_string(number) + " (" + ::strsignal(number) + ")";
  }
  return "exited with code " + std::to_string(WEXITSTATUS(status));
}

int exit_code_of(int status) { return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status); }

struct Worker {
  pid_t pid = 0;
  bool running = false;
};

// Starts worker `rank` of `nproc` with this process's arguments; `group` 0 makes it the
// leader of a new process group, which the others join.
pid_t spawn_worker(const std::vector<std::string>& arguments, int64_t rank, int64_t nproc,
                   const std::string& store_file, pid_t group) {
  const std::vector<std::pair<std::string, std::string>> set = {
      {"RANK", std::to_string(rank)},           {"LOCAL_RANK", std::to_string(rank)},
      {"WORLD_SIZE", std::to_string(nproc)},    {"LOCAL_WORLD_SIZE", std::to_string(nproc)},
      {"EMBTRAIN_STORE_FILE", store_file},      {"EMBTRAIN_GLOO_HOST", "127.0.0.1"},
      {kWorkerMark, "1"}};
  std::vector<std::string> variables;
  for (char** entry = environ; *entry; ++entry) {
    const std::string text = *entry;
    const std::string name = text.substr(0, text.find('='));
    bool replaced = name == "MASTER_ADDR" || name == "MASTER_PORT" || name == "TORCHELASTIC_USE_AGENT_STORE";
    for (const auto& [key, value] : set) replaced = replaced || key == name;
    if (!replaced) variables.push_back(text);
  }
  for (const auto& [key, value] : set) variables.push_back(key + "=" + value);
  std::vector<char*> argv, envp;
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  for (const auto& variable : variables) envp.push_back(const_cast<char*>(variable.c_str()));
  envp.push_back(nullptr);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, group);
  pid_t pid = 0;
  const int error = ::posix_spawn(&pid, "/proc/self/exe", nullptr, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  if (error != 0) throw Error::runtime("cannot start worker " + std::to_string(rank) + ": " + std::strerror(error));
  return pid;
}

// A private folder for the FileStore: only this user can reach it, and it is gone afterwards.
std::string make_store_folder() {
  std::string pattern = (std::filesystem::temp_directory_path() / "embtrain-nproc-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error::runtime("cannot create a temp folder for the workers' store in '" +
                         std::filesystem::temp_directory_path().string() + "': " + std::strerror(errno));
  }
  return pattern;
}

// The workers --nproc started, in rank order.
struct Launched {
  std::vector<Worker> workers;

  void start(const std::vector<std::string>& arguments, int64_t nproc, const std::string& store_file) {
    pid_t group = 0;  // the first worker leads the group the others join
    for (int64_t rank = 0; rank < nproc; ++rank) {
      workers.push_back({spawn_worker(arguments, rank, nproc, store_file, group), true});
      if (group == 0) group = workers.back().pid;
    }
  }
  void kill_all(int number) const {
    for (const auto& worker : workers) {
      if (worker.running) ::kill(worker.pid, number);
    }
  }
  void reap_all() {
    for (auto& worker : workers) {
      if (worker.running) ::waitpid(worker.pid, nullptr, 0);
      worker.running = false;
    }
  }

  // Until every worker has exited: forwards signals, and once one fails (not after a forwarded
  // signal, when rank 0 may still be writing the checkpoint) gives the rest `grace` and kills
  // them. Returns 0, or the first failure's exit code (128 + signal when killed).
  int wait(std::chrono::seconds grace) {
    auto deadline = std::chrono::steady_clock::time_point::max();
    int result = 0;
    bool signalled = false;
    for (int64_t running = static_cast<int64_t>(workers.size()); running > 0;) {
      if (forwarded_signal != 0) {
        kill_all(forwarded_signal);  // each worker stops at the same step, or exits at a second
        forwarded_signal = 0;
        signalled = true;
      }
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      const auto found = std::find_if(workers.begin(), workers.end(),
                                      [&](const Worker& w) { return w.running && w.pid == pid; });
      if (pid > 0 && found != workers.end()) {
        found->running = false;
        --running;
        const int code = exit_code_of(status);
        if (code != 0 && result == 0) {
          result = code;
          if (!signalled) {
            deadline = std::chrono::steady_clock::now() + grace;
            spdlog::error("worker rank {} (pid {}) {}; the others stop", found - workers.begin(), pid,
                          describe_status(status));
          }
        }
        continue;
      }
      if (running > 0 && std::chrono::steady_clock::now() > deadline) {
        for (size_t rank = 0; rank < workers.size(); ++rank) {
          if (workers[rank].running) spdlog::error("worker rank {} still runs {} s later: killing it", rank, grace.count());
        }
        kill_all(SIGKILL);
        deadline = std::chrono::steady_clock::time_point::max();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return result;
  }
};

}  // namespace

WorkerSetup worker_setup_from_environment() {
  WorkerSetup setup;
  setup.world_size = integer_variable("WORLD_SIZE", 1, 1, 1 << 20);
  if (setup.world_size == 1) return setup;
  setup.rank = integer_variable("RANK", -1, 0, setup.world_size - 1);
  if (setup.rank < 0) throw Error::usage("WORLD_SIZE is set but RANK is not (torchrun sets both)");
  setup.local_rank = integer_variable("LOCAL_RANK", setup.rank, 0, 1 << 20);
  setup.store_file = environment("EMBTRAIN_STORE_FILE");
  setup.master_addr = environment("MASTER_ADDR");
  setup.port = static_cast<int>(integer_variable("MASTER_PORT", 0, 1, 65535));
  setup.agent_store = environment("TORCHELASTIC_USE_AGENT_STORE") == "True";
  setup.restart_count = integer_variable("TORCHELASTIC_RESTART_COUNT", 0, 0, 1 << 20);
  setup.gloo_host = environment("EMBTRAIN_GLOO_HOST");
  if (setup.store_file.empty() && (setup.master_addr.empty() || setup.port == 0)) {
    throw Error::usage("WORLD_SIZE is " + std::to_string(setup.world_size) +
                       " but MASTER_ADDR and MASTER_PORT are not both set: start the workers with "
                       "torchrun, or with `embtrain train --nproc N` on one machine");
  }
  return setup;
}

bool launched_by_nproc() { return !environment(kWorkerMark).empty(); }

const std::string& worker_prefix() {
  static const std::string prefix = [] {
    const std::string world = environment("WORLD_SIZE"), rank = environment("RANK");
    return !world.empty() && world != "1" && !rank.empty() ? "[rank " + rank + "] " : std::string();
  }();
  return prefix;
}

int launch_workers(int64_t nproc, std::chrono::seconds grace) {
  const std::vector<std::string> arguments = own_arguments();
  const std::string folder = make_store_folder();
  const SignalScope signals(&remember_signal);  // wait() forwards what it catches
  Launched launched;
  try {
    launched.start(arguments, nproc, folder + "/store");
  } catch (...) {
    launched.kill_all(SIGKILL);
    launched.reap_all();
    std::filesystem::remove_all(folder);
    throw;
  }
  spdlog::info("started {} workers (pids {}…{}), meeting at {}/store", nproc, launched.workers.front().pid,
               launched.workers.back().pid, folder);
  const int result = launched.wait(grace);
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
  return result;
}

}  // namespace embtrain::cli
