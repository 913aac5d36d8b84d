// test_run_dir.cpp — RunDir: what is a run, refusing and replacing runs, resuming, and the one
// "not a run" error (exit 2) in every command that reads a run.
#include "embtrain/text/run_dir.h"

#include <unistd.h>

#include <filesystem>
#include <functional>

#include "../catch.h"
#include "../helpers.h"
#include "embtrain/text/error.h"

using namespace embtrain;
using namespace embtrain::test;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& call, int* code) {
  return embtrain::test::error_of<Error>(call, code);
}

}  // namespace

TEST_CASE("open_finished: a folder with report.json is a run, anything else is the one usage error") {
  TempDir dir;
  int code = 0;
  CHECK_THAT(error_of([&] { RunDir::open_finished(dir / "nope"); }, &code),
             contains("'" + (dir / "nope") + "' is not a finished embtrain run: no such folder"));
  CHECK(code == 2);
  spit(dir / "file", "x");
  CHECK_THAT(error_of([&] { RunDir::open_finished(dir / "file"); }, &code), contains("not a folder"));
  CHECK(code == 2);
  spit(dir / "config.json", "{}");
  CHECK_THAT(error_of([&] { RunDir::open_finished(dir.path.string()); }, &code),
             contains((dir / "report.json") + " is missing"));
  CHECK(code == 2);
  spit(dir / "report.json", "{}");
  const RunDir run = RunDir::open_finished(dir.path.string());
  CHECK(run.file(run_file::vocab) == dir / "vocab.txt");
  CHECK(run.has(run_file::config));
  CHECK_FALSE(run.has(run_file::model));
  CHECK_THAT(error_of([&] { run.require(run_file::model); }, &code), contains((dir / "model.pt") + " is missing"));
  CHECK(code == 2);
}

TEST_CASE("prepare_new refuses a run without force, with force a finished run is replaced beside it") {
  TempDir dir;
  const std::string run = dir / "run";
  fs::create_directories(run);
  spit(run + "/report.json", "{}");
  spit(run + "/model.pt", "m");
  spit(run + "/notes.txt", "mine");
  int code = 0;
  CHECK_THAT(error_of([&] { RunDir::prepare_new(run, false); }, &code), contains("already holds a run; pass --force"));
  CHECK(code == 2);
  const RunDir replacing = RunDir::prepare_new(run, true);
  CHECK(replacing.path() == run + ".new");  // built beside the old run
  CHECK(replacing.replaces() == fs::absolute(run).lexically_normal().string());
  replacing.remove_previous_run();  // marks it: replaces.json
  CHECK(fs::exists(run + ".new/replaces.json"));
  CHECK(slurp(run + "/report.json") == "{}");  // the old run is untouched
  spit(run + ".new/report.json", "{\"new\": 1}");
  const RunDir placed = replacing.put_in_place();
  CHECK(placed.path() == run);  // as the user named it
  CHECK(slurp(run + "/report.json") == "{\"new\": 1}");
  CHECK_FALSE(fs::exists(run + "/model.pt"));      // the old run's files went with it
  CHECK(slurp(run + "/notes.txt") == "mine");       // the user's file was carried over
  CHECK_FALSE(fs::exists(run + "/replaces.json"));
  CHECK_FALSE(fs::exists(run + ".new"));
  // A folder with only a started run's first files (no report, no checkpoint) is replaced in place.
  const std::string started = dir / "started";
  fs::create_directories(started);
  spit(started + "/config.json", "{}");
  CHECK(RunDir::prepare_new(started, true).path() == started);
  RunDir::prepare_new(dir / "new/nested", false);  // created, with its parents
  CHECK(fs::is_directory(dir / "new/nested"));
}

TEST_CASE("a crash between the swap and the old run's removal is finished by the next lock") {
  TempDir dir;
  const std::string run = dir / "run";
  fs::create_directories(run);
  fs::create_directories(run + ".new");
  const std::string absolute = fs::absolute(run).lexically_normal().string();
  // After the swap: the new run in DIR still marked, the old one (with a user's file) in DIR.new.
  spit(run + "/report.json", "new");
  spit(run + "/replaces.json", "{\"replaces\": \"" + absolute + "\"}");
  spit(run + ".new/report.json", "old");
  spit(run + ".new/notes.txt", "mine");
  CHECK(RunDir::at(run).replaces().empty());  // naming itself: not a replacement any more
  {
    const RunLock lock = RunDir::at(run).lock();
    CHECK(fs::exists(run + "/in_progress.json"));
    const auto writer = RunDir::at(run).writer();
    REQUIRE(writer);
    CHECK(writer->pid == static_cast<int64_t>(::getpid()));
  }
  CHECK(slurp(run + "/report.json") == "new");
  CHECK(slurp(run + "/notes.txt") == "mine");
  CHECK_FALSE(fs::exists(run + ".new"));
  CHECK_FALSE(fs::exists(run + "/replaces.json"));
  CHECK_FALSE(fs::exists(run + "/in_progress.json"));  // the lock took it with it
  // The same crash, then `train --force`: the target's lock cleans DIR.new away, and the
  // replacement's lock makes it again.
  spit(run + "/replaces.json", "{\"replaces\": \"" + absolute + "\"}");
  fs::create_directories(run + ".new");
  spit(run + ".new/report.json", "old");
  const RunDir replacing = RunDir::prepare_new(run, true);
  REQUIRE(replacing.path() == run + ".new");
  const RunLock target = RunDir::at(run).lock(/*announce=*/false);
  CHECK_FALSE(fs::exists(run + ".new/report.json"));
  const RunLock own = replacing.lock();
  CHECK(fs::exists(run + ".new/in_progress.json"));
}

TEST_CASE("a dead writer's in_progress.json is no writer, a live one stops open_finished and open_resumable") {
  TempDir dir;
  spit(dir / "config.json", "{}");
  spit(dir / "in_progress.json", "{\"pid\": 999999999, \"since\": \"2026-01-01 00:00:00\"}");
  CHECK_FALSE(RunDir::at(dir.path.string()).writer());
  spit(dir / "in_progress.json",
       "{\"pid\": " + std::to_string(::getpid()) + ", \"since\": \"2026-12-01 09:00:00\"}");
  int code = 0;
  CHECK_THAT(error_of([&] { RunDir::open_finished(dir.path.string()); }, &code),
             contains("a training run is in progress in '" + dir.path.string() + "' (pid " +
                      std::to_string(::getpid()) + ", since 2026-12-01 09:00:00)"));
  CHECK(code == 2);
  spit(dir / "checkpoint.pt", "c");
  CHECK_THAT(error_of([&] { RunDir::open_resumable(dir.path.string()); }, &code), contains("in progress"));
  CHECK(code == 2);
}

TEST_CASE("train --force with data that turns out malformed leaves the old run as it was") {
  TempDir dir;
  const std::string run = dir / "run";
  REQUIRE(run_cli("train --config configs/seed.json --quiet --set train.epochs=2 --output-dir " + run).code == 0);
  const std::string report = slurp(run + "/report.json");
  spit(dir / "bad.tsv", "1\tfine\nno tab here\n");
  const auto failed = run_cli("train --config configs/seed.json --quiet --force --output-dir " + run +
                              " --set data.train=" + (dir / "bad.tsv"));
  CHECK(failed.code == 1);
  CHECK_THAT(failed.err, contains("bad.tsv:2"));
  CHECK(slurp(run + "/report.json") == report);
  CHECK(fs::exists(run + "/model.pt"));
}

TEST_CASE("open_resumable needs config.json and checkpoint.pt") {
  TempDir dir;
  int code = 0;
  spit(dir / "config.json", "{}");
  CHECK_THAT(error_of([&] { RunDir::open_resumable(dir.path.string()); }, &code),
             contains("it has no checkpoint.pt"));
  CHECK(code == 2);
  spit(dir / "checkpoint.pt", "c");
  CHECK(RunDir::open_resumable(dir.path.string()).file(run_file::config) == dir / "config.json");
}

TEST_CASE("every command that reads a run says 'not a finished embtrain run' with exit 2") {
  TempDir dir;
  spit(dir / "config.json", "{}");  // a folder that looks like a run, without report.json
  const std::string folder = dir.path.string();
  for (const std::string& args :
       {"inspect " + folder, "report " + folder, "predict --run " + folder + " hello",
        "neighbors --run " + folder + " hello", "eval --run " + folder + " --data data/seed/train.tsv",
        "export --run " + folder + " --format vec --output " + (dir / "x.vec"),
        "compare " + folder + " " + folder}) {
    INFO(args);
    const auto r = run_cli(args);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, starts_with("embtrain: error: '" + folder + "' is not a finished embtrain run"));
  }
}
