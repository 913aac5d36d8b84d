// run_dir.h — RunDir: the one owner of a run folder.
//
// It knows the files a run holds, the order `train` writes them in, and answers the three
// questions every command asks: is this a run, has it finished, can it resume. Every command
// that reads or writes a run goes through it, so "not a run" is one error with one exit code
// (2: the user named the wrong folder) whichever command met it.
//
// Write order (the guarantees behind it are in the README): config.json and vocab.txt first, so
// an interrupted run can resume; metrics.jsonl a line per epoch; checkpoint.pt when asked for or
// on a signal; model.pt, embeddings.pt, report.html; report.json last.
#pragma once

#include <array>
#include <string>

namespace embtrain {

// The file names of a run folder, declared once.
namespace run_file {
inline constexpr const char* config = "config.json";
inline constexpr const char* vocab = "vocab.txt";
inline constexpr const char* metrics = "metrics.jsonl";
inline constexpr const char* checkpoint = "checkpoint.pt";
inline constexpr const char* model = "model.pt";
inline constexpr const char* embeddings = "embeddings.pt";
inline constexpr const char* report_html = "report.html";
inline constexpr const char* report = "report.json";  // written last: the run finished
// Every file a run may hold, in write order.
inline constexpr std::array<const char*, 8> all = {config,     vocab,      metrics,     checkpoint,
                                                   model,      embeddings, report_html, report};
}  // namespace run_file

// While it lives, this process is the only one writing the run folder: an flock() on the
// folder itself, which the kernel drops when the process dies, however it dies.
class RunLock {
 public:
  explicit RunLock(int fd) : fd_(fd) {}
  ~RunLock();
  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  RunLock& operator=(RunLock&&) = delete;

 private:
  int fd_;
};

class RunDir {
 public:
  // A folder that holds a finished run (report.json). Throws the one "not a run" Error (usage,
  // exit 2) naming the folder and what is missing.
  static RunDir open_finished(const std::string& path);
  // A run that `train --resume` can continue: config.json and checkpoint.pt. Throws Error (usage).
  static RunDir open_resumable(const std::string& path);
  // The folder for a new run: refuses one that holds a run unless `force`, creates it and
  // checks that it is writable. Throws Error. A run that --force replaces is left in place:
  // remove_previous_run() removes it once the new run is known to start (config valid, data
  // read), so that a failed start leaves the old run as it was.
  static RunDir prepare_new(const std::string& path, bool force);
  // Removes the files of a run that was in this folder (none for a fresh folder).
  void remove_previous_run() const;
  // Takes the folder for this process; another `train` writing it is an Error (usage) at once.
  // Then removes temp files (`*.tmp-<pid>`) that a killed writer left behind.
  RunLock lock() const;
  // No checks: for the writer that prepare_new or open_resumable already vetted.
  static RunDir at(const std::string& path) { return RunDir(path); }

  const std::string& path() const { return path_; }
  // path()/name; `name` is one of run_file's.
  std::string file(const char* name) const;
  bool has(const char* name) const;
  // The file `name` of a finished run, which must exist: the "not a run" Error otherwise.
  std::string require(const char* name) const;

 private:
  explicit RunDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace embtrain
