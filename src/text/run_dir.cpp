// run_dir.cpp — RunDir: opening, vetting, locking, replacing run folders.
#include "embtrain/text/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>

#include "embtrain/text/error.h"
#include "embtrain/text/io.h"

namespace embtrain {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Error not_a_run(const std::string& path, const std::string& why) {
  return Error::usage("'" + path + "' is not a finished embtrain run: " + why);
}

// Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. With the pid
// it names one process, so a pid reused after a crash is not taken for the writer. 0: unknown.
int64_t process_start_ticks(int64_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return std::atoll(field.c_str());
  }
  return 0;
}

std::string local_time_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  localtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &parts);
  return text;
}

json read_json_or_null(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

std::string absolute_text(const std::string& path) {
  std::error_code error;
  const fs::path absolute = fs::weakly_canonical(fs::absolute(path), error);
  return (error ? fs::absolute(path) : absolute).lexically_normal().string();
}

bool holds_kept_run(const RunDir& run) { return run.has(run_file::report) || run.has(run_file::checkpoint); }

// After the swap: `old` holds the replaced run. Files in it that are not a run's (a user's
// notes) move to the new run's folder unless a file of that name is there; then `old` goes.
void carry_over_and_remove(const fs::path& old, const fs::path& target) {
  std::error_code error;
  if (!fs::is_directory(old, error)) return;
  for (const auto& entry : fs::directory_iterator(old, error)) {
    const std::string name = entry.path().filename().string();
    bool of_run = name == run_file::writer || name == run_file::replaces || name.find(".tmp-") != std::string::npos;
    for (const char* file : run_file::all) of_run = of_run || name == file;
    if (!of_run && !fs::exists(target / name, error)) fs::rename(entry.path(), target / name, error);
  }
  fs::remove_all(old, error);
}

}  // namespace

std::string RunWriter::describe(const std::string& dir) const {
  return "a training run is in progress in '" + dir + "' (pid " + std::to_string(pid) + ", since " + since + ")";
}

std::string RunDir::file(const char* name) const { return (fs::path(path_) / name).string(); }

bool RunDir::has(const char* name) const {
  std::error_code error;
  return fs::is_regular_file(file(name), error);
}

bool RunDir::final_files_written() const {
  std::error_code error;
  const auto report = fs::last_write_time(file(run_file::report), error);
  if (error) return false;
  return report >= fs::last_write_time(file(run_file::checkpoint), error) && !error;
}

int64_t RunDir::extends_finished_run(int64_t next_epoch, int64_t step, int64_t epochs) const {
  if (!final_files_written()) return 0;
  const int64_t done = next_epoch - 1;
  if (next_epoch > epochs && step == 0) {
    throw Error::usage("the run in '" + path_ + "' has already finished all " + std::to_string(done) +
                       " epochs (--set train.epochs=N with a larger N extends it)");
  }
  if (next_epoch > epochs) {  // an interrupted run, asked now for fewer epochs than it had begun
    throw Error::usage("the run in '" + path_ + "' stopped at epoch " + std::to_string(next_epoch) + ", step " +
                       std::to_string(step + 1) + ", past train.epochs " + std::to_string(epochs) +
                       "; --set train.epochs=" + std::to_string(next_epoch) + " or more goes on with it");
  }
  if (step != 0 || done <= 0) return 0;
  spdlog::info("extending the finished run in '{}' from {} to {} epochs", path_, done, epochs);
  return done;
}

std::string RunDir::require(const char* name) const {
  if (!has(name)) throw not_a_run(path_, file(name) + " is missing");
  return file(name);
}

std::optional<RunWriter> RunDir::writer() const {
  const json info = read_json_or_null(file(run_file::writer));
  if (!info.is_object() || !info.contains("pid") || !info["pid"].is_number_integer()) return std::nullopt;
  RunWriter writer;
  writer.pid = info["pid"].get<int64_t>();
  writer.since = info.value("since", std::string("?"));
  const int64_t ticks = info.value("start_ticks", int64_t{0});
  if (writer.pid <= 0 || (::kill(static_cast<pid_t>(writer.pid), 0) != 0 && errno != EPERM)) return std::nullopt;
  if (ticks != 0 && process_start_ticks(writer.pid) != ticks) return std::nullopt;  // pid reused
  return writer;
}

// The folder replaces.json names, or "" when there is none.
std::string RunDir::marked_target() const {
  const json marker = read_json_or_null(file(run_file::replaces));
  if (!marker.is_object() || !marker.contains("replaces") || !marker["replaces"].is_string()) return "";
  return marker["replaces"].get<std::string>();
}

std::string RunDir::replaces() const {
  if (!replaces_.empty()) return replaces_;
  const std::string target = marked_target();
  return target == absolute_text(path_) ? "" : target;  // naming itself: the swap is done
}

RunDir RunDir::open_finished(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) throw not_a_run(path, "no such folder");
  if (!fs::is_directory(path, error)) throw not_a_run(path, "not a folder");
  RunDir run(path);
  if (!run.has(run_file::report)) {
    if (const auto writer = run.writer()) {
      throw Error::usage(writer->describe(path) + ": wait for it to finish (report.json is written last)");
    }
    if (run.has(run_file::checkpoint)) {
      throw not_a_run(path, "it was interrupted before writing report.json; continue it with "
                            "`embtrain train --resume " + path + "`");
    }
  }
  run.require(run_file::report);
  return run;
}

RunDir RunDir::open_resumable(const std::string& path) {
  std::error_code error;
  if (!fs::is_directory(path, error)) {
    throw Error::usage("cannot resume '" + path + "': no such folder, so no checkpoint.pt to resume from");
  }
  RunDir run(path);
  if (const auto writer = run.writer()) {
    throw Error::usage("cannot resume '" + path + "': " + writer->describe(path) + "; wait for it to finish");
  }
  const RunDir replacement(replacement_path(path));
  if (!run.has(run_file::checkpoint) && replacement.replaces() == absolute_text(path) &&
      replacement.has(run_file::checkpoint)) {
    throw Error::usage("cannot resume '" + path + "': its run is complete; the interrupted run that "
                       "replaces it is in '" + replacement.path() + "': `embtrain train --resume " +
                       replacement.path() + "` continues it and puts it in place when it finishes");
  }
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
  if (!writer_file_.empty()) ::unlink(writer_file_.c_str());
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

RunLock RunDir::lock(bool announce) const {
  // A replacement's folder that the lock of its target just cleaned away (a swap that a crash
  // cut short left the old run in it) is made again.
  std::error_code missing;
  if (!fs::exists(path_, missing)) ensure_writable_dir(path_);
  // The lock is on the folder itself, so that taking it needs no file in the folder.
  const int fd = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw Error::runtime("cannot lock '" + path_ + "': " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int reason = errno;
    ::close(fd);
    if (reason == EWOULDBLOCK) {
      auto writer = this->writer();
      if (!writer) writer = RunDir(replacement_path(path_)).writer();
      throw Error::usage((writer ? writer->describe(path_) : "another embtrain is writing '" + path_ + "' right now") +
                         "; wait for it to finish, or choose another --output-dir");
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
  // A replaces.json naming this folder itself: a crash came between the swap and the removal
  // of the old run, which is in DIR.new.
  if (marked_target() == absolute_text(path_)) {
    carry_over_and_remove(replacement_path(path_), path_);
    fs::remove(file(run_file::replaces), error);
  }
  if (!announce) return RunLock(fd, "");
  const json writer = {{"pid", static_cast<int64_t>(::getpid())},
                       {"since", local_time_now()},
                       {"start_ticks", process_start_ticks(::getpid())}};
  write_file_atomic(file(run_file::writer), writer.dump() + "\n", /*durable=*/false);
  return RunLock(fd, file(run_file::writer));
}

void RunDir::remove_previous_run() const {
  std::error_code error;
  for (const char* name : run_file::all) fs::remove(file(name), error);
  fs::remove(file(run_file::replaces), error);
  if (!replaces_.empty()) {
    write_file_atomic(file(run_file::replaces), json{{"replaces", replaces_}}.dump() + "\n");
  }
}

RunDir RunDir::put_in_place() const {
  const std::string target = replaces();
  if (target.empty()) return *this;
  // The marker now names the folder it will sit in: after the swap it says "swap done".
  write_file_atomic(file(run_file::replaces), json{{"replaces", target}}.dump() + "\n");
  // Swap the folders in one step; where the file system cannot, two renames (a crash between
  // them leaves the new run in DIR.new and the old one in DIR.old).
  if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
    const std::string old = target + ".old";
    std::error_code error;
    fs::remove_all(old, error);
    if (::rename(target.c_str(), old.c_str()) != 0 || ::rename(path_.c_str(), target.c_str()) != 0) {
      throw Error::runtime("cannot put the new run '" + path_ + "' in place of '" + target + "': " +
                           std::strerror(errno));
    }
    fs::rename(old, path_, error);
  }
  carry_over_and_remove(path_, target);
  std::error_code error;
  fs::remove((fs::path(target) / run_file::replaces), error);
  fs::remove((fs::path(target) / run_file::writer), error);  // the run is finished
  // The target as the user named it (DIR of DIR.new), for the messages that follow.
  const std::string suffix = replacement_path("");
  const bool named = path_.size() > suffix.size() && path_.compare(path_.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                     absolute_text(path_.substr(0, path_.size() - suffix.size())) == target;
  return RunDir(named ? path_.substr(0, path_.size() - suffix.size()) : target);
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
    if (force && holds_kept_run(run)) {
      // The old run stays as it is until the new one has finished (the file comment).
      RunDir replacement(replacement_path(path), absolute_text(path));
      ensure_writable_dir(replacement.path());
      return replacement;
    }
  }
  ensure_writable_dir(path);
  return run;
}

}  // namespace embtrain
