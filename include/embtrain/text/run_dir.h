// run_dir.h — RunDir: the one owner of a run folder.
//
// It knows the files a run holds, the order `train` writes them in, and answers the questions
// every command asks: is this a run, has it finished, can it resume, is a `train` writing it
// right now. Every command that reads or writes a run goes through it, so "not a run" is one
// error with one exit code (2: the user named the wrong folder) whichever command met it.
//
// Write order (the guarantees behind it are in the README): config.json and vocab.txt first, so
// an interrupted run can resume; metrics.jsonl a line per epoch; checkpoint.pt when asked for or
// on a signal; model.pt, embeddings.pt, report.html, state.json; report.json last.
//
// Replacing a run (`train --force` over a finished or resumable run) never touches the old run
// until the new one has finished: the new run is built in the sibling folder DIR.new (which
// holds replaces.json naming DIR), and put_in_place() swaps the two folders in one
// renameat2(RENAME_EXCHANGE), then carries over files of the user's that were in DIR and removes
// the old run. A crash after the swap leaves DIR.new holding the old run and DIR's replaces.json
// naming DIR itself; the next lock() of DIR finishes the job. Until the swap, a failed, killed
// or interrupted replacement leaves DIR byte-identical; an interrupted one stays resumable in
// DIR.new (`train --resume DIR.new`, or `--resume auto` on DIR's config), and swaps in when it ends.
//
// Thread-safety: none needed; a RunDir is a path. RunLock is what keeps two processes apart.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
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
inline constexpr const char* state = "state.json";    // how it ended (run_state.h)
inline constexpr const char* report = "report.json";  // written last: the run finished
// Every file a run may hold, in write order.
inline constexpr std::array<const char*, 9> all = {config,     vocab,       metrics, checkpoint, model,
                                                   embeddings, report_html, state,   report};
// Not files of the run: who is writing it now (pid, since when), and what a replacement replaces.
inline constexpr const char* writer = "in_progress.json";
inline constexpr const char* replaces = "replaces.json";
}  // namespace run_file

// The process that holds a run folder's lock, read from its in_progress.json.
struct RunWriter {
  int64_t pid = 0;
  std::string since;  // local time it started, "2026-12-01 09:30:12"
  // "a training run is in progress in 'DIR' (pid 123, since 2026-12-01 09:30:12)"
  std::string describe(const std::string& dir) const;
};

// While it lives, this process is the only one writing the run folder: an flock() on the
// folder itself, which the kernel drops when the process dies, however it dies. It also writes
// in_progress.json (pid, start time), removed when the lock goes; a killed writer's stays
// behind and reads as no writer, since its process is gone.
class RunLock {
 public:
  RunLock(int fd, std::string writer_file) : fd_(fd), writer_file_(std::move(writer_file)) {}
  ~RunLock();
  RunLock(RunLock&& other) noexcept : fd_(other.fd_), writer_file_(std::move(other.writer_file_)) {
    other.fd_ = -1;
    other.writer_file_.clear();
  }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  RunLock& operator=(RunLock&&) = delete;

 private:
  int fd_;
  std::string writer_file_;
};

class RunDir {
 public:
  // A folder that holds a finished run (report.json). Throws the one "not a run" Error (usage,
  // exit 2) naming the folder and what is missing, or saying that a train is writing it now.
  static RunDir open_finished(const std::string& path);
  // A run that `train --resume` can continue: config.json and checkpoint.pt, and no train
  // writing it now. Throws Error (usage) saying what to do instead.
  static RunDir open_resumable(const std::string& path);
  // The folder a new run is written to. Refuses one that holds a run unless `force`; with
  // `force`, a folder holding a finished or resumable run gets its replacement built in
  // replacement_path(path) (see the file comment), any other is written in place. Creates the
  // folder and checks that it is writable. Throws Error.
  static RunDir prepare_new(const std::string& path, bool force);
  // Removes the files of a run that was in this folder (none for a fresh folder), once the new
  // run is known to start (config valid, data read); marks a replacement with replaces.json.
  void remove_previous_run() const;
  // Takes the folder for this process; another `train` writing it is an Error (usage) naming
  // its pid. Then removes temp files (`*.tmp-<pid>`) that a killed writer left behind, finishes
  // a swap that a crash cut short, and writes in_progress.json (unless !announce: the finished
  // run that a replacement is built beside stays byte-identical).
  RunLock lock(bool announce = true) const;
  // No checks: for the writer that prepare_new or open_resumable already vetted.
  static RunDir at(const std::string& path) { return RunDir(path); }

  // "DIR.new": where `train --force` builds the run that replaces DIR's.
  static std::string replacement_path(const std::string& path) { return path + ".new"; }
  // The folder this one's run replaces when it finishes (its replaces.json), or "".
  std::string replaces() const;
  // A finished replacement takes its target's place (the file comment says how); the caller
  // holds both folders' locks. Returns the target folder. Throws Error.
  RunDir put_in_place() const;
  // The live process writing this folder now, if any.
  std::optional<RunWriter> writer() const;

  const std::string& path() const { return path_; }
  // path()/name; `name` is one of run_file's.
  std::string file(const char* name) const;
  bool has(const char* name) const;
  // --resume from a checkpoint that goes on at epoch `next_epoch` (1-based), step `step`, of a
  // run that now asks for `epochs` (either objective): the epochs of the finished run it extends,
  // logged as such, or 0 when it resumes an interrupted one. The "has already finished all N
  // epochs" Error when the finished run's train.epochs did not grow. A finished run's checkpoint
  // is its final one, written just before the tensors and the report: it counts as finished
  // only when report.json is at least as new (a crash came in between otherwise, and the resume
  // writes them again).
  int64_t extends_finished_run(int64_t next_epoch, int64_t step, int64_t epochs) const;
  // The file `name` of a finished run, which must exist: the "not a run" Error otherwise.
  std::string require(const char* name) const;

 private:
  std::string marked_target() const;  // what replaces.json names, or ""
  bool final_files_written() const;   // report.json at least as new as checkpoint.pt
  explicit RunDir(std::string path, std::string replaces = "")
      : path_(std::move(path)), replaces_(std::move(replaces)) {}
  std::string path_;
  std::string replaces_;  // prepare_new's target when this is a replacement not yet marked
};

}  // namespace embtrain
