// labels.cpp — LabelSet: binary or multi-label, and each example's labels as output indices.
#include "embtrain/text/labels.h"

#include <algorithm>

#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"

namespace embtrain {
namespace {

bool binary_label(const std::string& name) { return name == "0" || name == "1"; }

std::string where(const ExampleLabels& data, int64_t example) {
  return data.path + ":" + std::to_string(data.lines[static_cast<size_t>(example)]);
}

std::string listed(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size() && i < 10; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > 10) text += ", … (" + std::to_string(names.size()) + " in all)";
  return text;
}

}  // namespace

LabelSet LabelSet::from_names(const std::vector<std::string>& names) {
  LabelSet set;
  for (const auto& name : names) {
    if (set.index_.emplace(name, static_cast<int64_t>(set.names_.size())).second) set.names_.push_back(name);
  }
  return set;
}

LabelSet LabelSet::from_training(const TextDataset& train, const std::vector<std::string>& configured) {
  return from_training(ExampleLabels::of(train), configured);
}

// ExampleLabels keeps names in first-seen order, which is the label set's order.
LabelSet LabelSet::from_training(const ExampleLabels& train, const std::vector<std::string>& configured) {
  if (!configured.empty()) return from_names(configured);
  int64_t first_binary = -1, first_other = -1;  // examples
  bool all_binary = true;
  for (int64_t i = 0; i < train.size(); ++i) {
    const auto begin = static_cast<size_t>(train.offsets[static_cast<size_t>(i)]);
    const auto end = static_cast<size_t>(train.offsets[static_cast<size_t>(i) + 1]);
    all_binary = all_binary && end - begin == 1 && binary_label(train.names[static_cast<size_t>(train.ids[begin])]);
    for (size_t k = begin; k < end; ++k) {
      const bool binary_name = binary_label(train.names[static_cast<size_t>(train.ids[k])]);
      if (binary_name && first_binary < 0) first_binary = i;
      if (!binary_name && first_other < 0) first_other = i;
    }
  }
  if (all_binary) return LabelSet{};
  if (first_binary >= 0 && first_other == 0 && first_binary == 1) {
    // One odd first line before 0/1 labels: most likely a header ("label<TAB>text").
    const std::string& name = train.names[static_cast<size_t>(train.ids[0])];
    throw Error::runtime(where(train, 0) + ": label '" + name + "' on the first line, 0/1 from the next on: if "
                         "this line is a header, remove it (data files have no header line; e.g. tail -n +2)");
  }
  if (first_binary >= 0 && first_other >= 0) {
    const int64_t late = std::max(first_binary, first_other);
    const std::string& name = train.names[static_cast<size_t>(train.ids[static_cast<size_t>(train.offsets[static_cast<size_t>(late)])])];
    throw Error::runtime(where(train, late) + ": labels mix 0/1 with other names ('" + name +
                         "' here): name every label, or list them in data.labels");
  }
  LabelSet set = from_names(train.names);
  if (set.names_.size() == 1) {  // nothing to tell apart: most likely a mislabelled 0/1 file
    throw Error::runtime(where(train, 0) + ": every training example has the label '" +
                         set.names_[0] + "'; a classifier needs two labels or more (binary data labels "
                         "its lines 0 or 1; data.labels can list labels the data lacks)");
  }
  return set;
}

int64_t LabelSet::find(const std::string& name) const {
  const auto found = index_.find(name);
  return found == index_.end() ? -1 : found->second;
}

void LabelSet::apply(const TextDataset& data, Corpus& corpus) const { apply(ExampleLabels::of(data), corpus); }

void LabelSet::apply(const ExampleLabels& data, Corpus& corpus) const {
  corpus.labels.assign(static_cast<size_t>(data.size()), 0.0f);
  corpus.label_offsets.assign(1, 0);
  corpus.label_ids.clear();
  // The data's label index -> this set's output index (-1: not in the set).
  std::vector<int64_t> output(data.names.size());
  for (size_t n = 0; n < output.size(); ++n) output[n] = find(data.names[n]);
  for (int64_t i = 0; i < data.size(); ++i) {
    const auto begin = static_cast<size_t>(data.offsets[static_cast<size_t>(i)]);
    const auto end = static_cast<size_t>(data.offsets[static_cast<size_t>(i) + 1]);
    if (binary()) {
      const std::string first = begin < end ? data.names[static_cast<size_t>(data.ids[begin])] : std::string();
      if (end - begin != 1 || !binary_label(first)) {
        throw Error::runtime(where(data, i) + ": this run's labels are 0 and 1, got '" + first + "'" +
                             (end - begin > 1 ? " and more" : ""));
      }
      corpus.labels[static_cast<size_t>(i)] = first == "1" ? 1.0f : 0.0f;
      continue;
    }
    const size_t first = corpus.label_ids.size();
    for (size_t k = begin; k < end; ++k) {
      const int64_t id = output[static_cast<size_t>(data.ids[k])];
      if (id < 0) {
        throw Error::runtime(where(data, i) + ": label '" + data.names[static_cast<size_t>(data.ids[k])] +
                             "' is not one of this run's labels (" + listed(names_) + ")");
      }
      bool repeated = false;
      for (size_t j = first; j < corpus.label_ids.size(); ++j) repeated = repeated || corpus.label_ids[j] == id;
      if (!repeated) corpus.label_ids.push_back(static_cast<int32_t>(id));
    }
    corpus.label_offsets.push_back(static_cast<int64_t>(corpus.label_ids.size()));
  }
}

}  // namespace embtrain
