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

std::string read_file(const std::string& path);
// `durable` fsyncs before the rename (crash-safe); without it the file is still
// never seen half-written, but a crash may lose it (fine for per-epoch logs).
void write_file_atomic(const std::string& path, std::string_view content, bool durable = true);

// For writers that need a path (LibTorch archives): `write` fills the temp
// path given to it, which is then fsynced and renamed over `path`.
void write_atomically(const std::string& path, const std::function<void(const std::string&)>& write);

// Creates `dir` (and parents) and checks that a file can be written in it.
void ensure_writable_dir(const std::string& dir);

}  // namespace embtrain
