// test_cli.cpp — the command line as a contract: outputs, files, exit codes, errors.
#include "../catch.h"
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../helpers.h"

using embtrain::test::fixture;
using embtrain::test::run_cli;
using embtrain::test::slurp;
using embtrain::test::spit;
using embtrain::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
// One line on stderr that starts "embtrain: error:".
void check_one_error_line(const embtrain::test::CliResult& r, const std::string& needle) {
  CHECK_THAT(r.err, embtrain::test::starts_with("embtrain: error:") && embtrain::test::contains(needle));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}
}  // namespace

TEST_CASE("vocab prints index, token, count in first-seen order") {
  const auto r = run_cli("vocab --config configs/seed.json");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, embtrain::test::starts_with("0\tI\t2\n1\tam\t2\n2\thappy\t1\n3\tFeeling\t3\n"));
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 20);
  const auto j = run_cli("vocab --config configs/seed.json --json");
  CHECK(json::parse(j.out.substr(0, j.out.find('\n'))) == json{{"index", 0}, {"token", "I"}, {"count", 2}});
}

TEST_CASE("encode prints the article's encoded_sentences pattern") {
  const auto r = run_cli("encode --config configs/seed.json 'I am happy' 'Feeling very upset'");
  REQUIRE(r.code == 0);
  CHECK(r.out == "[0,1,2]\n[3,4,19]\n");
  const auto piped = run_cli("encode --config configs/seed.json", "I am sad\r\nunknown happy\n");
  CHECK(piped.out == "[0,1,13]\n[2]\n");
  CHECK_THAT(piped.err, embtrain::test::contains("1 of 5 tokens (20.0%) are not in the vocabulary and were dropped"));
  const auto with_unk = run_cli(
      "encode --config configs/seed.json --set 'vocab.specials=[\"<unk>\"]' 'unknown happy'");
  CHECK(with_unk.out == "[0,3]\n");
}

TEST_CASE("train writes the run folder and the report holds the weights") {
  TempDir dir;
  const auto r = run_cli("train --config configs/seed.json --set train.epochs=3 --output-dir " +
                         (dir / "run") + " --json");
  REQUIRE(r.code == 0);
  for (const char* name : {"config.json", "vocab.txt", "model.pt", "metrics.jsonl", "report.json"}) {
    CHECK(fs::exists(dir / ("run/" + std::string(name))));
  }
  CHECK(json::parse(r.out)["vocab_size"] == 20);
  const json report = json::parse(slurp(dir / "run/report.json"));
  CHECK(report["vocab"].size() == 20);
  CHECK(report["before"].size() == 20);
  CHECK(report["after"][0].size() == 4);
  CHECK(report["summary"]["optimizer_steps"] == 30);
  CHECK(report["config"]["train"]["epochs"] == 3);
  CHECK(report["metrics"]["train"].contains("f1"));
  CHECK(report["pairs"][0]["a"] == "happy");
  const json config = json::parse(slurp(dir / "run/config.json"));
  CHECK(config["train"]["epochs"] == 3);
  CHECK(config["vocab"]["order"] == "first_seen");
  const std::string metrics = slurp(dir / "run/metrics.jsonl");
  CHECK(std::count(metrics.begin(), metrics.end(), '\n') == 3);
  CHECK(json::parse(metrics.substr(0, metrics.find('\n')))["epoch"] == 1);
  CHECK(slurp(dir / "run/vocab.txt").rfind("I\nam\nhappy\n", 0) == 0);
  // stdout holds the JSON summary only; no temp files are left.
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
  for (const auto& entry : fs::directory_iterator(dir / "run")) {
    CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);
  }

  SECTION("an existing run is not mixed with a new one") {
    const auto again = run_cli("train --config configs/seed.json --set train.epochs=1 --output-dir " + (dir / "run"));
    CHECK(again.code == 2);
    check_one_error_line(again, "--force");
    const auto forced = run_cli("train --config configs/seed.json --set train.epochs=1 --force --quiet --output-dir " + (dir / "run"));
    CHECK(forced.code == 0);
    CHECK(forced.err.empty());
    CHECK(json::parse(slurp(dir / "run/report.json"))["summary"]["optimizer_steps"] == 10);
  }
}

TEST_CASE("valid and test data get loss, accuracy, precision, recall, F1") {
  TempDir dir;
  const auto r = run_cli("train --config configs/seed.json --quiet --set train.epochs=2 --set data.valid=data/seed/train.tsv --set data.test=" +
                         fixture("test.jsonl") + " --set data.format=auto --output-dir " + (dir / "run"));
  REQUIRE(r.code == 0);
  const json report = json::parse(slurp(dir / "run/report.json"));
  for (const char* split : {"train", "valid", "test"}) {
    for (const char* key : {"loss", "accuracy", "precision", "recall", "f1"}) {
      CHECK(report["metrics"][split].contains(key));
    }
  }
  CHECK(report["metrics"]["test"]["examples"] == 4);
}

TEST_CASE("bad usage fails with one clear line and the right exit code") {
  TempDir dir;
  spit(dir / "typo.json", R"({"data": {"train": "x.tsv"}, "train": {"epoch": 3}})");
  spit(dir / "broken.json", "{\"data\": {\"train\": \"x.tsv\",}}");
  spit(dir / "bad.tsv", "1\tok\n5\tfive\n");
  spit(dir / "nolabel.tsv", "1\tok\n0\t\n");
  spit(dir / "empty.tsv", "\n\n");
  spit(dir / "dup.txt", "I\nam\nI\n");
  spit(dir / "file", "x");
  const std::string seed = "--config configs/seed.json --set train.epochs=1 --quiet --output-dir " + (dir / "out");

  struct Case {
    std::string args;
    int code;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"train --config " + (dir / "typo.json"), 2, "did you mean 'train.epochs'"},
      {"train --config " + (dir / "broken.json"), 2, "line 1"},
      {"train --config " + (dir / "missing.json"), 2, "missing.json"},
      {"train " + seed + " --set train.lr=0", 2, "train.lr"},
      {"train " + seed + " --set train.batch_size=0", 2, "train.batch_size"},
      {"train " + seed + " --set model.embedding_dim=-4", 2, "model.embedding_dim"},
      {"train " + seed + " --set train.epochs=ten", 2, "train.epochs"},
      {"train " + seed + " --set data.train=" + (dir / "nope.tsv"), 1, "nope.tsv"},
      {"train " + seed + " --set data.train=" + (dir / "bad.tsv"), 1, "bad.tsv:2"},
      {"train " + seed + " --set data.train=" + (dir / "nolabel.tsv"), 1, "nolabel.tsv:2"},
      {"train " + seed + " --set data.train=" + (dir / "empty.tsv"), 1, "no examples"},
      {"train " + seed + " --set vocab.file=" + (dir / "dup.txt"), 1, "duplicate token"},
      {"train --config configs/seed.json --output-dir " + (dir / "file"), 1, "not a folder"},
      {"train --config configs/seed.json --output-dir /proc/embtrain-denied", 1, "output folder"},
      {"vocab --config configs/seed.json --set vocab.min_count=99", 2, "vocabulary is empty"},
  };
  std::vector<Case> all = cases;
  // On a machine without CUDA (every CI machine), asking for it is a usage error.
  if (run_cli("--version").out.find("no CUDA device") != std::string::npos) {
    all.push_back({"train " + seed + " --set train.device=cuda", 2, "CUDA is not available"});
  }
  for (const auto& c : all) {
    INFO(c.args);
    const auto r = run_cli(c.args);
    CHECK(r.code == c.code);
    check_one_error_line(r, c.needle);
    CHECK_FALSE(fs::exists(dir / "out/report.json"));
  }
  const auto usage = run_cli("train");
  CHECK(usage.code == 2);
  CHECK_THAT(usage.err, embtrain::test::contains("--config"));
  CHECK(run_cli("frobnicate").code == 2);
}

TEST_CASE("help teaches and version names LibTorch") {
  const auto help = run_cli("train --help");
  CHECK(help.code == 0);
  CHECK_THAT(help.out, embtrain::test::contains("--set") && embtrain::test::contains("--output-dir") &&
                           embtrain::test::contains("Examples"));
  const auto version = run_cli("--version");
  CHECK(version.code == 0);
  CHECK_THAT(version.out, embtrain::test::contains("embtrain 0.1.0") && embtrain::test::contains(std::string("LibTorch ") + EMBTRAIN_TORCH_VERSION + " ("));
}

TEST_CASE("predict, eval, neighbors and compare use a finished run") {
  TempDir dir;
  const std::string run = dir / "run";
  REQUIRE(run_cli("train --config configs/seed.json --quiet --set train.lr=0.01 --output-dir " + run).code == 0);

  const auto predicted = run_cli("predict --run " + run + " 'I am happy' 'News is terrible'");
  REQUIRE(predicted.code == 0);
  CHECK(std::count(predicted.out.begin(), predicted.out.end(), '\n') == 2);
  CHECK_THAT(predicted.out, embtrain::test::contains("\t1\tI am happy\n"));
  std::string many;
  for (int i = 0; i < 1000; ++i) many += i % 2 ? "I am sad\n" : "Feeling very joyful\n";
  const auto streamed = run_cli("predict --json --run " + run, many);
  CHECK(std::count(streamed.out.begin(), streamed.out.end(), '\n') == 1000);
  const json first = json::parse(streamed.out.substr(0, streamed.out.find('\n')));
  // Values known in advance for this run (seed 851, lr 0.01; embtrain equals PyTorch bit for
  // bit, so these are the article's code's numbers too): the final ReLU pins this sentence's
  // logit at 0, so its probability is exactly 0.5 and its label 0.
  CHECK(first["text"] == "Feeling very joyful");
  CHECK(first["probability"].get<double>() == 0.5);
  CHECK(first["label"] == 0);

  const auto scored = run_cli("eval --json --run " + run + " --data data/seed/train.tsv");
  REQUIRE(scored.code == 0);
  const json metrics = json::parse(scored.out);
  for (const char* key : {"loss", "accuracy", "precision", "recall", "f1", "roc_auc"}) {
    CHECK(metrics.contains(key));
  }
  const auto& confusion = metrics["confusion"];
  CHECK(confusion == json{{"true_positive", 4}, {"false_negative", 1}, {"true_negative", 5},
                          {"false_positive", 0}});
  CHECK(metrics["accuracy"].get<double>() == Approx(0.9).margin(1e-12));
  CHECK(metrics["roc_auc"].get<double>() == Approx(0.9).margin(1e-12));
  CHECK(metrics["loss"].get<double>() == Approx(0.415941).margin(1e-5));

  const auto near = run_cli("neighbors --json --run " + run + " happy -k 2 --when before");
  REQUIRE(near.code == 0);
  CHECK(json::parse(near.out)["neighbors"]["happy"].size() == 2);
  const auto unknown = run_cli("neighbors --run " + run + " nosuchtoken");
  CHECK(unknown.code == 2);
  check_one_error_line(unknown, "'nosuchtoken' is not in the vocabulary");

  // Another seed: other initial weights, so the trained vectors barely agree (cosine 0.1545).
  const std::string other = dir / "seed7";
  REQUIRE(run_cli("train --config configs/seed.json --quiet --set train.lr=0.01 --set train.seed=7 "
                  "--output-dir " + other).code == 0);
  const auto differ = run_cli("compare --json " + run + " " + other);
  REQUIRE(differ.code == 0);
  const json compared = json::parse(differ.out);
  CHECK(compared["common_tokens"] == 20);
  CHECK(compared["mean_cosine_after"].get<double>() == Approx(0.154517).margin(1e-5));
  CHECK(compared["metrics"]["train"]["accuracy"]["a"].get<double>() == Approx(0.9).margin(1e-12));
  CHECK(compared["metrics"]["train"]["accuracy"]["b"].get<double>() == Approx(1.0).margin(1e-12));
  CHECK(compared["moved_differently"][0]["token"] == "excited");

  const auto missing = run_cli("predict --run " + (dir / "nothing") + " hello");
  CHECK(missing.code == 2);
  check_one_error_line(missing, "not a finished embtrain run");
}

TEST_CASE("model.pretrained checks the dimension and freeze_embedding keeps the embedding") {
  TempDir dir;
  spit(dir / "v3.vec", "1 3\nhappy 1 2 3\n");
  const auto wrong = run_cli("train --config configs/seed.json --quiet --output-dir " + (dir / "a") +
                             " --set model.pretrained=" + (dir / "v3.vec"));
  CHECK(wrong.code == 2);
  check_one_error_line(wrong, "3-dimensional vectors but model.embedding_dim is 4");
  spit(dir / "bad.vec", "1 4\nhappy 1 2 3\n");
  const auto bad = run_cli("train --config configs/seed.json --quiet --output-dir " + (dir / "b") +
                           " --set model.pretrained=" + (dir / "bad.vec"));
  CHECK(bad.code == 1);
  check_one_error_line(bad, "bad.vec:2");
  spit(dir / "v4.vec", "1 4\nhappy 0.5 0.25 -1 2\n");
  const auto frozen = run_cli("train --config configs/seed.json --output-dir " + (dir / "c") +
                              " --set model.pretrained=" + (dir / "v4.vec") +
                              " --set model.freeze_embedding=true --set model.final_relu=false");
  REQUIRE(frozen.code == 0);
  CHECK_THAT(frozen.err, embtrain::test::contains("19 not found"));
  const json report = json::parse(slurp(dir / "c/report.json"));
  CHECK(report["summary"]["rows_changed"] == 0);
  CHECK(report["before"][2] == json({0.5, 0.25, -1.0, 2.0}));  // "happy" is row 2
  CHECK(report["metrics"]["train"]["loss"].get<double>() > 0);
}

TEST_CASE("the README's key table is the one `embtrain keys --markdown` generates from the key table") {
  const std::string readme = slurp(std::string(EMBTRAIN_SOURCE_DIR) + "/README.md");
  const std::string begin = "<!-- keys:begin -->\n", end = "<!-- keys:end -->";
  const auto from = readme.find(begin), to = readme.find(end);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  const auto generated = run_cli("keys --markdown");
  REQUIRE(generated.code == 0);
  // On a difference: build/embtrain keys --markdown, and paste it between the markers.
  CHECK(readme.substr(from + begin.size(), to - from - begin.size()) == generated.out);
  const auto listed = run_cli("keys");
  CHECK_THAT(listed.out, embtrain::test::contains("train.epochs\t100\tpasses over the training data\n"));
}

TEST_CASE("many labels end to end: train, inspect, predict, eval, export") {
  TempDir dir;
  const std::string run = dir / "topics";
  REQUIRE(run_cli("train --config configs/topics.json --quiet --output-dir " + run).code == 0);
  const json config = json::parse(slurp(run + "/config.json"));
  CHECK(config["data"]["labels"] == json{"sport", "politics", "tech"});  // first-seen order
  const json report = json::parse(slurp(run + "/report.json"));
  CHECK(report["labels"] == json{"sport", "politics", "tech"});
  const json& test = report["metrics"]["test"];
  CHECK(test["examples"] == 6);
  CHECK(test.contains("p_at_1"));
  CHECK(test["per_label"].size() == 3);
  // "the" occurs in 16 sport, 13 politics and 11 tech examples of data/topics/train.txt.
  int found = 0;
  for (const auto& token : report["tokens"]) {
    if (token["token"] != "the") continue;
    ++found;
    CHECK(token["label_counts"] == json{{"sport", 16}, {"politics", 13}, {"tech", 11}});
    CHECK(token["dominant_label"] == "sport");
  }
  CHECK(found == 1);

  const auto top2 = run_cli("predict --run " + run + " -k 2 'the striker scored a late goal'");
  REQUIRE(top2.code == 0);
  CHECK_THAT(top2.out, embtrain::test::starts_with("sport,"));
  CHECK(std::count(top2.out.begin(), top2.out.end(), '\t') == 2);
  const auto none = run_cli("predict --run " + run + " --json --threshold 1 'the striker scored'");
  CHECK(json::parse(none.out)["labels"] == json::array());
  check_one_error_line(run_cli("predict --run " + run + " -k 0 x"), "-k must be at least 1");

  const auto eval = run_cli("eval --run " + run + " --data data/topics/test.txt");
  REQUIRE(eval.code == 0);
  CHECK_THAT(eval.out, embtrain::test::starts_with("N\t6\nP@1\t"));
  CHECK_THAT(eval.out, embtrain::test::contains("label\tprecision\trecall\tf1\tsupport\tpredicted\nsport\t"));
  spit(dir / "unknown.txt", "__label__weather rain again today\n");
  check_one_error_line(run_cli("eval --run " + run + " --data " + (dir / "unknown.txt")),
                       "unknown.txt:1: label 'weather' is not one of this run's labels (sport, politics, tech)");

  REQUIRE(run_cli("export --run " + run + " --format vec --output " + (dir / "t.vec")).code == 0);
  CHECK_THAT(slurp(dir / "t.vec"), embtrain::test::starts_with("92 16\n"));
  const auto inspect = run_cli("inspect " + run + " --json");
  REQUIRE(inspect.code == 0);
  CHECK(json::parse(inspect.out)["metrics"]["test"].contains("p_at_1"));
}

TEST_CASE("early stopping keeps the best epoch's weights, and says which") {
  TempDir dir;
  const std::string stopped = dir / "stopped", short_run = dir / "short";
  // Valid = the training data; accuracy on it stops improving, and patience 1 stops the run.
  const std::string common = "train --config configs/seed.json --quiet --set train.lr=0.01 --set data.valid=data/seed/train.tsv ";
  REQUIRE(run_cli(common + "--set train.early_stopping=loss --set train.patience=1 --set train.epochs=400 --output-dir " +
                  stopped).code == 0);
  const json report = json::parse(slurp(stopped + "/report.json"));
  REQUIRE(report.contains("early_stopping"));
  const int64_t best = report["early_stopping"]["best_epoch"];
  CHECK(report["early_stopping"]["stopped_early"] == true);
  CHECK(report["early_stopping"]["epochs_run"] == best + 1);
  // The same run cut at the best epoch (constant lr, file order) ends with the same weights.
  REQUIRE(run_cli(common + "--set train.epochs=" + std::to_string(best) + " --output-dir " + short_run).code == 0);
  const json reference = json::parse(slurp(short_run + "/report.json"));
  CHECK(report["after"] == reference["after"]);
  CHECK(report["metrics"] == reference["metrics"]);
  check_one_error_line(run_cli("train --config configs/seed.json --set train.early_stopping=f1 --output-dir " +
                               (dir / "x")),
                       "no data.valid");
}

TEST_CASE("one grammar: RUN first for every command that reads a run, --run still accepted") {
  TempDir dir;
  const std::string run = dir / "run";
  REQUIRE(run_cli("train --config configs/seed.json --quiet --set train.lr=0.01 --output-dir " + run).code == 0);
  const auto positional = run_cli("predict " + run + " 'I am happy' 'News is terrible'");
  const auto flagged = run_cli("predict --run " + run + " 'I am happy' 'News is terrible'");
  REQUIRE(positional.code == 0);
  CHECK(positional.out == flagged.out);
  CHECK(std::count(positional.out.begin(), positional.out.end(), '\n') == 2);
  CHECK(run_cli("eval " + run + " --data data/seed/train.tsv --json").out ==
        run_cli("eval --run " + run + " --data data/seed/train.tsv --json").out);
  CHECK(run_cli("neighbors " + run + " happy -k 2").code == 0);
  CHECK(run_cli("inspect --run " + run + " --json").out == run_cli("inspect " + run + " --json").out);
  CHECK(run_cli("report --run " + run).code == 0);
  check_one_error_line(run_cli("eval --data data/seed/train.tsv"), "needs the run folder: embtrain eval RUN");
  check_one_error_line(run_cli("inspect " + run + " " + run), "takes one run folder");
  check_one_error_line(run_cli("neighbors " + run), "needs tokens");
  // The unknown share of each input: in predict's JSON, and a warning when most are unknown.
  const auto unknown = run_cli("predict " + run + " --json 'zzz qqq happy'");
  CHECK(json::parse(unknown.out)["unknown_share"].get<double>() == Approx(2.0 / 3).margin(1e-12));
  CHECK_THAT(unknown.err, embtrain::test::contains("text argument 1: 2 of 3 tokens are not in the vocabulary"));
  // eval: over the whole file, 2 unknown tokens of 5.
  spit(dir / "u.tsv", "1\tzzz happy\n0\tI am qqq\n");
  const auto scored = run_cli("eval " + run + " --data " + (dir / "u.tsv") + " --json");
  REQUIRE(scored.code == 0);
  CHECK(json::parse(scored.out)["unknown_share"].get<double>() == Approx(0.4).margin(1e-12));
}

TEST_CASE("a mistyped command or option gets a did-you-mean") {
  check_one_error_line(run_cli("trian --config configs/seed.json"), "(did you mean 'embtrain train'?)");
  check_one_error_line(run_cli("train --confg configs/seed.json"), "(did you mean '--config'?)");
  check_one_error_line(run_cli("eval runs/x --dta f.tsv"), "(did you mean '--data'?) (usage: embtrain eval --help)");
}

TEST_CASE("export infers the format from --output and makes missing folders") {
  TempDir dir;
  const std::string run = dir / "run";
  REQUIRE(run_cli("train --config configs/seed.json --quiet --output-dir " + run).code == 0);
  REQUIRE(run_cli("export " + run + " --output " + (dir / "deep/er/seed.vec")).code == 0);
  CHECK_THAT(slurp(dir / "deep/er/seed.vec"), embtrain::test::starts_with("20 4\n"));
  REQUIRE(run_cli("export " + run + " --output " + (dir / "proj") + "/").code == 0);
  CHECK(fs::exists(dir / "proj/vectors.tsv"));
  REQUIRE(run_cli("export " + run + " --output " + (dir / "seed.pt")).code == 0);
  CHECK(fs::file_size(dir / "seed.pt") > 0);
  check_one_error_line(run_cli("export " + run + " --output " + (dir / "seed.csv")), "cannot tell the export format");
  check_one_error_line(run_cli("export " + run + " --format vec --output " + (dir / "proj")),
                       "is a folder, but --format vec writes a file");
}

TEST_CASE("paths name the key and the OS reason, and config comments are called out") {
  TempDir dir;
  check_one_error_line(run_cli("train --config configs/seed.json --set data.train=" + (dir / "none.tsv") +
                               " --output-dir " + (dir / "a")),
                       "cannot read data.train '" + (dir / "none.tsv") + "': No such file or directory");
  // A folder says so, before its (missing) extension is looked at.
  check_one_error_line(run_cli("train --config configs/seed.json --set data.train=" + dir.path.string() +
                               " --output-dir " + (dir / "b")),
                       "': Is a directory");
  check_one_error_line(run_cli("eval --run runs/none --data " + (dir / "x.tsv")), "not a finished embtrain run");
  spit(dir / "c.json", "{\n  // the article\n  \"data\": {\"train\": \"x.tsv\"}\n}\n");
  check_one_error_line(run_cli("train --config " + (dir / "c.json")), "line 2 holds a comment, and JSON has no comments");
  check_one_error_line(run_cli("train --config " + dir.path.string()), "Is a directory");
}

TEST_CASE("inspect answers from embeddings.pt for rows a bounded report did not keep") {
  TempDir dir;
  const std::string bounded = dir / "bounded", full = dir / "full";
  REQUIRE(run_cli("train --config configs/seed.json --quiet --set report.max_rows=2 --output-dir " + bounded).code == 0);
  REQUIRE(run_cli("train --config configs/seed.json --quiet --output-dir " + full).code == 0);
  const json kept = json::parse(run_cli("inspect " + bounded + " --json --token Feeling --token happy --token nope").out);
  const json all = json::parse(run_cli("inspect " + full + " --json --token Feeling --token happy").out);
  // "Feeling" never had a gradient (the README's article run): no change, whichever way it is read.
  CHECK(kept["tokens"]["Feeling"]["source"] == "embeddings.pt");
  CHECK(kept["tokens"]["Feeling"]["change_norm"].get<double>() == 0.0);
  for (const char* token : {"Feeling", "happy"}) {
    const json& row = kept["tokens"][token];
    REQUIRE(row["found"] == true);
    CHECK(row["change_norm"].get<double>() == Approx(all["tokens"][token]["change_norm"].get<double>()).margin(1e-6));
    CHECK(row["cosine"].get<double>() == Approx(all["tokens"][token]["cosine"].get<double>()).margin(1e-6));
    CHECK(row["neighbors"]["after"].size() == 3);  // configs/seed.json's report.neighbors
  }
  CHECK(kept["tokens"]["nope"]["reason"] == "not in the vocabulary");

  // report --token puts the same rows on the page.
  REQUIRE(run_cli("report " + bounded + " --token Feeling --token nope").code == 0);
  const std::string html = slurp(bounded + "/report.html");
  CHECK(html.find("Tokens looked up in the run's tables") != std::string::npos);
  char change[32];
  std::snprintf(change, sizeof change, "%.4f", kept["tokens"]["happy"]["change_norm"].get<double>());
  REQUIRE(run_cli("report " + bounded + " --token happy").code == 0);
  const std::string again = slurp(bounded + "/report.html");
  CHECK(again.find(std::string("<td>") + change + "</td>") != std::string::npos);
  CHECK(html.find("not in the vocabulary") != std::string::npos);
  CHECK(run_cli("report " + bounded + " --token x --token").code == 2);
}
