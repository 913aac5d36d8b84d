// run_dir.cpp — RunDir: opening, vetting and preparing run folders.
#include "embtrain/text/run_dir.h"

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
  for (const char* name : {run_file::config, run_file::checkpoint}) {
    if (!run.has(name)) throw Error::usage("cannot resume '" + path + "': it has no " + name);
  }
  return run;
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
