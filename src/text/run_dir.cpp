// run_dir.cpp — RunDir: opening, vetting and preparing run folders.
#include "embtrain/text/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "embtrain/text/error.h"
#include "embtrain/text/io.h"

namespace embtrain {

namespace fs = std::filesystem;

namespace {

Error not_a_run(const std::string& path, const std::string& why) {
  return Error::usage("'" + path + "' is not a finished embtrain run: " + why);
}

}  // namespace

std::string RunDir::file(const char* name) const { return (fs::path(path_) / name).string(); }

bool RunDir::has(const char* name) const {
  std::error_code error;
  return fs::is_regular_file(file(name), error);
}

std::string RunDir::require(const char* name) const {
  if (!has(name)) throw not_a_run(path_, file(name) + " is missing");
  return file(name);
}

RunDir RunDir::open_finished(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) throw not_a_run(path, "no such folder");
  if (!fs::is_directory(path, error)) throw not_a_run(path, "not a folder");
  RunDir run(path);
  run.require(run_file::report);
  return run;
}

RunDir RunDir::open_resumable(const std::string& path) {
  std::error_code error;
  if (!fs::is_directory(path, error)) {
    throw Error::usage("cannot resume '" + path + "': no such folder, so no checkpoint.pt to resume from");
  }
  RunDir run(path);
  if (!run.has(run_file::checkpoint) && run.has(run_file::report)) {
    throw Error::usage("cannot resume '" + path + "': the run has finished, and it kept no "
                       "checkpoint.pt to extend it from (train.checkpoint_every > 0 keeps one at "
                       "the end)");
  }
  for (const char* name : {run_file::config, run_file::checkpoint}) {
    if (!run.has(name)) throw Error::usage("cannot resume '" + path + "': it has no " + name);
  }
  return run;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

RunLock RunDir::lock() const {
  // The lock is on the folder itself, so that taking it writes nothing into the folder.
  const int fd = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw Error::runtime("cannot lock '" + path_ + "': " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int reason = errno;
    ::close(fd);
    if (reason == EWOULDBLOCK) {
      throw Error::usage("another embtrain is writing '" + path_ +
                         "' right now; wait for it to finish, or choose another --output-dir");
    }
    throw Error::runtime("cannot lock '" + path_ + "': " + std::strerror(reason));
  }
  // Holding the lock, any `*.tmp-<pid>` here is a writer's that died (kill -9, a power cut)
  // before it could rename or unlink it: never a file of the run, so it goes.
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(path_, error)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp-") != std::string::npos && entry.is_regular_file(error)) {
      fs::remove(entry.path(), error);
    }
  }
  return RunLock(fd);
}

void RunDir::remove_previous_run() const {
  std::error_code error;
  for (const char* name : run_file::all) fs::remove(file(name), error);
}

RunDir RunDir::prepare_new(const std::string& path, bool force) {
  RunDir run(path);
  std::error_code error;
  if (fs::is_directory(path, error)) {
    std::vector<std::string> existing;
    for (const char* name : run_file::all) {
      if (fs::exists(run.file(name), error)) existing.push_back(run.file(name));
    }
    if (!existing.empty() && !force) {
      throw Error::usage("output folder '" + path +
                         "' already holds a run; pass --force to replace it, or choose another "
                         "with --output-dir");
    }
  }
  ensure_writable_dir(path);
  return run;
}

}  // namespace embtrain
