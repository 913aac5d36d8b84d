// test_config.cpp — defaults < file < --set, unknown keys, types, ranges, paths.
#include "../catch.h"
#include <nlohmann/json.hpp>

#include <filesystem>

#include "embtrain/text/config.h"
#include "embtrain/text/error.h"
#include "../helpers.h"

using namespace embtrain;
using embtrain::test::spit;
using embtrain::test::TempDir;

namespace {
std::string error_of(const std::string& file_text, const std::vector<std::string>& sets = {}) {
  TempDir dir;
  spit(dir / "c.json", file_text);
  try {
    load_config(dir / "c.json", sets);
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("defaults are the article's run") {
  Config c;
  CHECK(c.model.embedding_dim == 4);
  CHECK(c.model.hidden_dim == 8);
  CHECK(c.model.max_length == 3);
  CHECK(c.model.final_relu);
  CHECK(c.train.epochs == 100);
  CHECK(c.train.lr == Approx(1e-4));
  CHECK(c.train.seed == 851);
}

TEST_CASE("file values beat defaults and set overrides beat the file") {
  TempDir dir;
  spit(dir / "c.json", R"({"data": {"train": "t.tsv"}, "train": {"epochs": 7, "lr": 1}})");
  const Config c = load_config(dir / "c.json", {"train.epochs=5", "model.pooling=mean"});
  CHECK(c.train.epochs == 5);
  CHECK(c.train.lr == 1.0);  // an integer is a valid number
  CHECK(c.model.pooling == Pooling::mean);
  CHECK(c.model.hidden_dim == 8);
}

TEST_CASE("paths in a file are relative to its folder and set paths to the cwd") {
  TempDir dir;
  std::filesystem::create_directories(dir.path / "sub");
  spit(dir / "sub/c.json", R"({"data": {"train": "../d/t.tsv", "test": "/abs/x.tsv"}})");
  const Config c = load_config(dir / "sub/c.json", {"data.valid=v.tsv"});
  CHECK(c.data.train == (dir.path / "d/t.tsv").string());
  CHECK(c.data.test == "/abs/x.tsv");
  CHECK(c.data.valid == "v.tsv");
}

TEST_CASE("set overrides parse JSON values, else take a string") {
  TempDir dir;
  spit(dir / "c.json", R"({"data": {"train": "t.tsv"}})");
  const Config c = load_config(
      dir / "c.json", {"vocab.specials=[\"<pad>\",\"<unk>\"]", "report.pairs=[[\"a\",\"b\"]]",
                       "train.shuffle=true", "train.device=cpu"});
  CHECK(c.vocab.specials == std::vector<std::string>{"<pad>", "<unk>"});
  REQUIRE(c.report.pairs.size() == 1);
  CHECK(c.report.pairs[0][1] == "b");
  CHECK(c.train.shuffle);
  CHECK(c.train.device == "cpu");
}

TEST_CASE("unknown keys are errors that suggest the closest key") {
  const std::string message = error_of(R"({"data": {"train": "t"}, "model": {"hiden_dim": 3}})");
  CHECK_THAT(message, embtrain::test::contains("model.hiden_dim"));
  CHECK_THAT(message, embtrain::test::contains("did you mean 'model.hidden_dim'"));
  CHECK_THAT(error_of(R"({"data": {"train": "t"}})", {"train.epoch=3"}),
             embtrain::test::contains("did you mean 'train.epochs'"));
  CHECK_THAT(error_of(R"({"dta": {}})"), embtrain::test::contains("'dta'"));
}

TEST_CASE("wrong types name the key and the value") {
  CHECK_THAT(error_of(R"({"data": {"train": "t"}, "train": {"epochs": "ten"}})"),
             embtrain::test::contains("train.epochs") && embtrain::test::contains("integer") &&
                 embtrain::test::contains("\"ten\""));
  CHECK_THAT(error_of(R"({"data": {"train": "t"}, "train": {"epochs": 2.5}})"),
             embtrain::test::contains("integer"));
  CHECK_THAT(error_of(R"({"data": {"train": "t"}, "model": {"final_relu": 1}})"),
             embtrain::test::contains("true or false"));
  CHECK_THAT(error_of(R"({"data": {"train": "t"}, "report": {"pairs": [["a"]]}})"),
             embtrain::test::contains("report.pairs"));
  CHECK_THAT(error_of(R"({"data": 3})"), embtrain::test::contains("data"));
  CHECK_THAT(error_of(R"([1, 2])"), embtrain::test::contains("object"));
}

TEST_CASE("out-of-range values are errors") {
  const std::string base = R"({"data": {"train": "t"}})";
  CHECK_THAT(error_of(base, {"train.epochs=0"}), embtrain::test::contains("train.epochs"));
  CHECK_THAT(error_of(base, {"train.batch_size=-1"}), embtrain::test::contains("train.batch_size"));
  CHECK_THAT(error_of(base, {"train.lr=0"}), embtrain::test::contains("train.lr"));
  CHECK_THAT(error_of(base, {"train.lr=-0.1"}), embtrain::test::contains("train.lr"));
  CHECK_THAT(error_of(base, {"model.embedding_dim=0"}), embtrain::test::contains("model.embedding_dim"));
  CHECK_THAT(error_of(base, {"model.hidden_dim=0"}), embtrain::test::contains("model.hidden_dim"));
  CHECK_THAT(error_of(base, {"vocab.min_count=0"}), embtrain::test::contains("vocab.min_count"));
  CHECK_THAT(error_of(base, {"model.pooling=avg"}), embtrain::test::contains("flatten | mean | sum | max"));
  CHECK_THAT(error_of(base, {"train.device=gpu"}), embtrain::test::contains("train.device"));
  CHECK_THAT(error_of(base, {"train.threads=-2"}), embtrain::test::contains("train.threads"));
  CHECK_THAT(error_of(base, {"vocab.specials=[\"a\",\"a\"]"}), embtrain::test::contains("duplicate"));
  CHECK(error_of(base, {"train.device=cuda:1"}).empty());
}

TEST_CASE("data.train is required - broken JSON names the line") {
  CHECK_THAT(error_of("{}"), embtrain::test::contains("data.train"));
  CHECK_THAT(error_of("{\n  \"data\": {\n    \"train\": \"t\",\n  }\n}"),
             embtrain::test::contains("not valid JSON") && embtrain::test::contains("line 4"));
  CHECK_THAT(error_of(R"({"data": {"train": "t"}})", {"train.epochs"}),
             embtrain::test::contains("KEY=VALUE"));
}

TEST_CASE("a missing config file is an error") {
  CHECK_THROWS_WITH(load_config("/nonexistent/c.json", {}), embtrain::test::contains("/nonexistent/c.json"));
}

TEST_CASE("to_json round-trips and lists every key") {
  Config c;
  c.data.train = "x.tsv";
  c.report.pairs.push_back({"a", "b"});
  const Config back = config_from_json(to_json(c), "test");
  CHECK(to_json(back) == to_json(c));
  CHECK(config_keys().size() == 52);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("every key round-trips at a non-default value through the file, config_from_json and to_json") {
  // One non-default value per key. A key dropped from parsing or from to_json comes back as its
  // default (or is missing) and fails here; a key added to the table without a value here fails
  // the key-count check.
  const nlohmann::json everything = {
      {"data",
       {{"train", "/data/train.jsonl"}, {"valid", "/data/valid.tsv"}, {"test", "/data/test.txt"},
        {"format", "jsonl"}, {"skip_bad_lines", true}, {"labels", {"spam", "ham"}}, {"cache", "/data/cache"}}},
      {"vocab",
       {{"file", "/data/vocab.txt"}, {"tokenizer", "char"}, {"lowercase", true}, {"min_count", 3},
        {"max_size", 500}, {"specials", {"<pad>", "<unk>"}}, {"order", "frequency"},
        {"word_ngrams", 3}, {"subwords", true}, {"minn", 2}, {"maxn", 5}, {"buckets", 1000}, {"sample", 1e-4}}},
      {"model",
       {{"embedding_dim", 16}, {"hidden_dim", 5}, {"pooling", "max"}, {"max_length", 7},
        {"final_relu", false}, {"init", "xavier_uniform"}, {"pretrained", "/data/start.vec"},
        {"freeze_embedding", true}, {"objective", "classify"}, {"window", 3}, {"negative", 7}, {"ns_exponent", 0.5}}},
      {"train",
       {{"epochs", 12}, {"batch_size", 9}, {"lr", 0.25}, {"lr_schedule", "cosine"}, {"warmup_steps", 11},
        {"optimizer", "sparse_adam"}, {"seed", 4},
        {"shuffle", true}, {"device", "cuda:1"}, {"threads", 3}, {"checkpoint_every", 2},
        {"early_stopping", "f1"}, {"patience", 5}, {"dist_timeout", 7}}},
      {"report",
       {{"neighbors", 6}, {"neighbors_min_count", 2}, {"pairs", nlohmann::json::array({nlohmann::json::array({"a", "b"}), nlohmann::json::array({"c", "d"})})}, {"tokens", {"x", "y"}}, {"max_rows", 40}}}};
  size_t listed = 0;
  for (const auto& [section, values] : everything.items()) listed += values.size();
  // data.label_names (a binary run's) cannot be set beside data.labels: it is checked below.
  CHECK(listed + 1 == config_keys().size());
  const Config named = load_config("", {"data.train=x.tsv", R"(data.label_names=["ham", "spam"])"});
  CHECK(named.data.label_names == std::vector<std::string>{"ham", "spam"});
  CHECK(to_json(config_from_json(to_json(named), "test"))["data"]["label_names"] == nlohmann::json{"ham", "spam"});
  CHECK_THROWS_WITH(load_config("", {"data.train=x.tsv", R"(data.label_names=["ham"])"}),
                    embtrain::test::contains("two different names"));
  CHECK_THROWS_WITH(load_config("", {"data.train=x.tsv", R"(data.label_names=["a", "b"])", R"(data.labels=["a", "b"])"}),
                    embtrain::test::contains("binary run"));

  TempDir dir;
  spit(dir / "c.json", everything.dump());
  const Config c = load_config(dir / "c.json", {});
  CHECK(c.data.format == DataFormat::jsonl);
  CHECK(c.vocab.tokenizer == TokenizerKind::chars);
  CHECK(c.vocab.order == VocabOrder::frequency);
  CHECK(c.model.pooling == Pooling::max);
  CHECK(c.train.optimizer == OptimizerKind::sparse_adam);
  CHECK(c.model.init == EmbeddingInit::xavier_uniform);
  CHECK(c.train.lr_schedule == LrSchedule::cosine);
  CHECK(c.report.pairs.size() == 2);
  // model.objective's other values (this config's specials and subwords refuse a word objective).
  const Config words = load_config("", {"data.train=x.txt", "model.objective=cbow", "train.optimizer=sgd"});
  CHECK(words.model.objective == Objective::cbow);
  CHECK(to_json(config_from_json(to_json(words), "test"))["model"]["objective"] == "cbow");
  nlohmann::json with_default_names = everything;
  with_default_names["data"]["label_names"] = nlohmann::json::array();
  CHECK(to_json(c) == with_default_names);
  CHECK(to_json(config_from_json(to_json(c), "test")) == with_default_names);
}

TEST_CASE("integer keys have ranges that keep products of sizes in range") {
  const std::string base = R"({"data": {"train": "t.tsv"}})";
  CHECK_THAT(error_of(base, {"model.embedding_dim=2000000"}),
             embtrain::test::contains("model.embedding_dim") && embtrain::test::contains("must be <= 1048576"));
  CHECK_THAT(error_of(base, {"train.epochs=99999999999"}), embtrain::test::contains("train.epochs"));
  CHECK(error_of(base, {"model.embedding_dim=1048576"}).empty());
}

TEST_CASE("with_absolute_paths makes every path key absolute and leaves empty ones empty") {
  Config c;
  c.data.train = "data/seed/train.tsv";
  c.model.pretrained = "/abs/start.vec";
  const Config absolute = with_absolute_paths(c);
  CHECK(absolute.data.train == (std::filesystem::current_path() / "data/seed/train.tsv").string());
  CHECK(absolute.model.pretrained == "/abs/start.vec");
  CHECK(absolute.data.valid.empty());
  CHECK(absolute.vocab.file.empty());
}
