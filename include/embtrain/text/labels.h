// labels.h — the label set of a run, and the labels of each example as output indices.
//
// Data whose every line has the one label 0 or 1 trains the article's binary model: one
// output, and everything as before. Any other labels make a multi-label run: the label set
// is data.labels when given, else every label of the training data in first-seen order; the
// model has one Sigmoid output per label, trained with BCE (one-vs-all, fastText's -loss ova).
// Labels unknown to the set, and 0/1 mixed with other names, are errors naming file:line.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace embtrain {

struct Corpus;
struct ExampleLabels;
struct TextDataset;

class LabelSet {
 public:
  // From the training data, or from `configured` (data.labels) when it is not empty.
  static LabelSet from_training(const ExampleLabels& train, const std::vector<std::string>& configured);
  static LabelSet from_training(const TextDataset& train, const std::vector<std::string>& configured);
  // The set a finished run was trained with: its config's data.labels (empty: binary).
  static LabelSet from_names(const std::vector<std::string>& names);

  bool binary() const { return names_.empty(); }
  // Model outputs: 1 when binary, else one per label.
  int64_t outputs() const { return binary() ? 1 : static_cast<int64_t>(names_.size()); }
  // The labels in output order (empty when binary).
  const std::vector<std::string>& names() const { return names_; }
  // Output index of `name`, or -1.
  int64_t find(const std::string& name) const;

  // Checks every example's labels against the set (an Error naming `data.path`:line otherwise)
  // and writes them into `corpus` (labels, or label_offsets/label_ids), row for row.
  void apply(const ExampleLabels& data, Corpus& corpus) const;
  void apply(const TextDataset& data, Corpus& corpus) const;

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, int64_t> index_;
};

}  // namespace embtrain
