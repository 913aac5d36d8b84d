// io.h — whole-file reads and all-or-nothing writes.
//
// write_file_atomic writes `path.tmp-<pid>`, fsyncs it and renames it over
// `path`, so a reader (or a crash) sees the old file or the new one, never a
// half-written one.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace embtrain {

// Why `path` cannot be read as a file, in the OS's words ("No such file or directory",
// "Is a directory", "Permission denied"), or "" when it can. Every path a user gives is checked
// with it once, and the error names the key or option that gave the path.
std::string unreadable_reason(const std::string& path);

// The whole file; an Error "cannot read WHAT 'path': REASON" otherwise (`what` names the key or
// option, e.g. "data.train").
std::string read_file(const std::string& path, const std::string& what = "file");
// `durable` fsyncs before the rename (crash-safe); without it the file is still
// never seen half-written, but a crash may lose it (fine for per-epoch logs).
void write_file_atomic(const std::string& path, std::string_view content, bool durable = true);

// A byte sink for streaming writers (LibTorch archives): returns the bytes taken.
using Sink = std::function<size_t(const void*, size_t)>;

// For streaming writers: `write` feeds the sink, which fills a temp file that is
// then fsynced and renamed over `path`. After the first failed write (a full
// disk) the sink swallows the rest, so that a writer that flushes in its
// destructor cannot abort the process; the failure is then thrown as an Error.
// `durable` as for write_file_atomic.
void write_atomically(const std::string& path, const std::function<void(const Sink&)>& write,
                      bool durable = true);

// Appends `line` and a newline to `path` (created if missing) in one write(), no fsync: for
// logs that grow by a line (metrics.jsonl), so that I/O grows with the lines, not their square.
void append_line(const std::string& path, std::string_view line);

// Unlinks the temp files (`path.tmp-<pid>`) this process is writing at this moment, using only
// async-signal-safe calls: for a signal handler that is about to _exit().
void remove_temp_files_in_flight() noexcept;

// Tests only: a hook every atomic write calls with the file's path, once before its rename
// (`renamed` false: the temp file is complete) and once after; the CLI installs one that
// kills the process at a chosen write (EMBTRAIN_TEST_KILL_AT). Null: none (the default).
using WriteHook = void (*)(const std::string& path, bool renamed);
void set_write_hook(WriteHook hook);

// Creates `dir` (and parents) and checks that a file can be written in it.
void ensure_writable_dir(const std::string& dir);

}  // namespace embtrain
