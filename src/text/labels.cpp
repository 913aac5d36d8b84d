// labels.cpp — LabelSet: binary or multi-label, and each example's labels as output indices.
#include "embtrain/text/labels.h"

#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"

namespace embtrain {
namespace {

bool binary_label(const std::string& name) { return name == "0" || name == "1"; }

std::string where(const TextDataset& data, const LabeledText& row) {
  return data.path + ":" + std::to_string(row.line);
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
  if (!configured.empty()) return from_names(configured);
  bool all_binary = true;
  const LabeledText* first_binary = nullptr;
  const LabeledText* first_other = nullptr;
  for (const auto& row : train.rows) {
    const bool binary_row = row.labels.size() == 1 && binary_label(row.labels[0]);
    all_binary = all_binary && binary_row;
    for (const auto& name : row.labels) {
      if (binary_label(name) && !first_binary) first_binary = &row;
      if (!binary_label(name) && !first_other) first_other = &row;
    }
  }
  if (all_binary) return LabelSet{};
  if (first_binary && first_other) {
    const LabeledText& late = first_binary->line > first_other->line ? *first_binary : *first_other;
    throw Error::runtime(where(train, late) + ": labels mix 0/1 with other names ('" + late.labels[0] +
                         "' here): name every label, or list them in data.labels");
  }
  LabelSet set;
  for (const auto& row : train.rows) {
    for (const auto& name : row.labels) {
      if (set.index_.emplace(name, static_cast<int64_t>(set.names_.size())).second) set.names_.push_back(name);
    }
  }
  if (set.names_.size() == 1) {  // nothing to tell apart: most likely a mislabelled 0/1 file
    throw Error::runtime(where(train, train.rows.front()) + ": every training example has the label '" +
                         set.names_[0] + "'; a classifier needs two labels or more (binary data labels "
                         "its lines 0 or 1; data.labels can list labels the data lacks)");
  }
  return set;
}

int64_t LabelSet::find(const std::string& name) const {
  const auto found = index_.find(name);
  return found == index_.end() ? -1 : found->second;
}

void LabelSet::apply(const TextDataset& data, Corpus& corpus) const {
  corpus.labels.assign(data.rows.size(), 0.0f);
  corpus.label_offsets.assign(1, 0);
  corpus.label_ids.clear();
  for (size_t i = 0; i < data.rows.size(); ++i) {
    const LabeledText& row = data.rows[i];
    if (binary()) {
      if (row.labels.size() != 1 || !binary_label(row.labels[0])) {
        throw Error::runtime(where(data, row) + ": this run's labels are 0 and 1, got '" +
                             (row.labels.empty() ? std::string() : row.labels[0]) + "'" +
                             (row.labels.size() > 1 ? " and more" : ""));
      }
      corpus.labels[i] = row.label;
      continue;
    }
    const size_t first = corpus.label_ids.size();
    for (const auto& name : row.labels) {
      const int64_t id = find(name);
      if (id < 0) {
        throw Error::runtime(where(data, row) + ": label '" + name + "' is not one of this run's labels (" +
                             listed(names_) + ")");
      }
      bool repeated = false;
      for (size_t k = first; k < corpus.label_ids.size(); ++k) repeated = repeated || corpus.label_ids[k] == id;
      if (!repeated) corpus.label_ids.push_back(static_cast<int32_t>(id));
    }
    corpus.label_offsets.push_back(static_cast<int64_t>(corpus.label_ids.size()));
  }
}

}  // namespace embtrain
