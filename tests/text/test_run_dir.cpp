// test_run_dir.cpp — RunDir: what is a run, refusing and replacing runs, resuming, and the one
// "not a run" error (exit 2) in every command that reads a run.
#include "embtrain/text/run_dir.h"

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

TEST_CASE("open_finished: a folder with report.json is a run; anything else is the one usage error") {
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

TEST_CASE("prepare_new refuses a run without force, and with force removes only the run's files") {
  TempDir dir;
  spit(dir / "report.json", "{}");
  spit(dir / "model.pt", "m");
  spit(dir / "notes.txt", "mine");
  int code = 0;
  CHECK_THAT(error_of([&] { RunDir::prepare_new(dir.path.string(), false); }, &code),
             contains("already holds a run; pass --force"));
  CHECK(code == 2);
  CHECK(fs::exists(dir / "report.json"));
  const RunDir replacing = RunDir::prepare_new(dir.path.string(), true);
  CHECK(fs::exists(dir / "report.json"));  // kept until the new run is known to start
  replacing.remove_previous_run();
  CHECK_FALSE(fs::exists(dir / "report.json"));
  CHECK_FALSE(fs::exists(dir / "model.pt"));
  CHECK(slurp(dir / "notes.txt") == "mine");
  RunDir::prepare_new(dir / "new/nested", false);  // created, with its parents
  CHECK(fs::is_directory(dir / "new/nested"));
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
