// test_labels.cpp — binary or multi-label from the training data, and each example's labels as
// output indices; unknown, mixed and single labels are errors naming file:line.
#include "../catch.h"

#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"
#include "embtrain/text/labels.h"

using namespace embtrain;

namespace {

TextDataset rows(const std::vector<std::vector<std::string>>& labels) {
  TextDataset data;
  data.path = "d.txt";
  for (size_t i = 0; i < labels.size(); ++i) {
    LabeledText row;
    row.labels = labels[i];
    row.label = labels[i] == std::vector<std::string>{"1"} ? 1.0f : 0.0f;
    row.text = "x";
    row.line = static_cast<int64_t>(i) + 1;
    data.rows.push_back(row);
  }
  return data;
}

}  // namespace

TEST_CASE("0/1 data is binary: one output, labels as floats") {
  const TextDataset data = rows({{"1"}, {"0"}, {"1"}});
  const LabelSet set = LabelSet::from_training(data, {});
  CHECK(set.binary());
  CHECK(set.outputs() == 1);
  Corpus corpus;
  set.apply(data, corpus);
  CHECK(corpus.labels == std::vector<float>{1, 0, 1});
  CHECK_FALSE(corpus.multi_label());
  CHECK_THROWS_WITH(set.apply(rows({{"1"}, {"2"}}), corpus), embtrain::test::contains("d.txt:2: this run's labels are 0 and 1, got '2'"));
}

TEST_CASE("other labels: one output each, first-seen order, repeats once") {
  const TextDataset data = rows({{"b", "a"}, {"c"}, {"a", "a"}});
  const LabelSet set = LabelSet::from_training(data, {});
  CHECK_FALSE(set.binary());
  CHECK(set.names() == std::vector<std::string>{"b", "a", "c"});
  CHECK(set.outputs() == 3);
  Corpus corpus;
  set.apply(data, corpus);
  CHECK(corpus.multi_label());
  CHECK(corpus.label_offsets == std::vector<int64_t>{0, 2, 3, 4});
  CHECK(corpus.label_ids == std::vector<int32_t>{0, 1, 2, 1});
  CHECK_THROWS_WITH(set.apply(rows({{"a"}, {"z"}}), corpus),
                    embtrain::test::contains("d.txt:2: label 'z' is not one of this run's labels (b, a, c)"));
}

TEST_CASE("data.labels fixes the set and its order") {
  const LabelSet set = LabelSet::from_training(rows({{"a"}, {"b"}}), {"c", "b", "a"});
  CHECK(set.names() == std::vector<std::string>{"c", "b", "a"});
  CHECK(set.find("a") == 2);
  CHECK(set.find("q") == -1);
  Corpus corpus;
  CHECK_THROWS_WITH(LabelSet::from_training(rows({{"a"}, {"q"}}), {"a", "b"}).apply(rows({{"a"}, {"q"}}), corpus),
                    embtrain::test::contains("label 'q'"));
}

TEST_CASE("0/1 mixed with names, and a single label, are errors") {
  CHECK_THROWS_WITH(LabelSet::from_training(rows({{"1"}, {"0"}, {"spam"}}), {}),
                    embtrain::test::contains("d.txt:3: labels mix 0/1 with other names"));
  CHECK_THROWS_WITH(LabelSet::from_training(rows({{"2"}, {"2"}}), {}),
                    embtrain::test::contains("d.txt:1: every training example has the label '2'"));
}
