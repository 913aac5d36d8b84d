// tune_child.cpp — one trial's `embtrain train` child: started, read, judged (tune_child.h).
#include "cli/tune_child.h"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "embtrain/text/error.h"

namespace embtrain::cli {

using nlohmann::json;

pid_t spawn_train(const std::vector<std::string>& arguments, const std::string& log_path) {
  std::vector<char*> argv;
  for (const auto& a : arguments) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDERR_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int error = ::posix_spawn(&pid, "/proc/self/exe", &files, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  if (error != 0) throw Error::runtime(std::string("cannot start a trial: ") + std::strerror(error));
  return pid;
}

void read_new_epochs(const std::string& metrics_path, const TuneMetric& metric, Trial& trial, size_t& lines_read) {
  std::ifstream in(metrics_path);
  std::string line;
  for (size_t number = 0; std::getline(in, line); ++number) {
    if (number < lines_read || in.eof()) continue;  // a line without its newline is still being written
    ++lines_read;
    const json epoch = json::parse(line, nullptr, false);
    std::string why = "no valid split";
    const auto value = epoch.is_object() && epoch.contains("valid") ? metric_value(epoch["valid"], metric, why)
                                                                    : std::nullopt;
    if (!value) {
      throw Error::usage(metrics_path + ": --metric " + metric.name + ": " + why + "; is data.valid the right file?");
    }
    trial.metric.push_back(*value);
  }
}

int64_t kept_epoch_of(const std::string& report_path) {
  std::ifstream in(report_path);
  if (!in) return 0;  // no report: the last epoch, as for a run without early stopping
  const json report = json::parse(in, nullptr, false);
  if (!report.is_object() || !report.contains("early_stopping") || !report["early_stopping"].is_object()) return 0;
  const json& best = report["early_stopping"].value("best_epoch", json());
  return best.is_number_integer() ? best.get<int64_t>() : 0;
}

}  // namespace embtrain::cli
