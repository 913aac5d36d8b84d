// embeddings_file.cpp — embeddings.pt's two formats (embeddings_file.h).
#include "embtrain/torch/embeddings_file.h"

#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/torch/archive_check.h"
#include "embtrain/torch/matrix_view.h"
#include "embtrain/torch/torch_error.h"

namespace embtrain {
namespace {

constexpr int64_t kFormatVersion = 2;

c10::impl::GenericDict read_dict(const std::string& path) {
  const std::string bytes = read_file(path);
  if (const std::string problem = archive_problem_in(bytes); !problem.empty()) {
    throw Error::runtime(path + " is not a readable embeddings file: " + problem);
  }
  torch::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {  // c10::Error, or a corrupted archive's ErrorReport
    throw Error::runtime(path + " is not a readable embeddings file: " + torch_error_text(e));
  }
  if (!value.isGenericDict()) throw Error::runtime(path + " does not hold a dict of tensors");
  return value.toGenericDict();
}

torch::Tensor tensor_in(const c10::impl::GenericDict& dict, const std::string& path, const char* key) {
  if (!dict.contains(key) || !dict.at(key).isTensor()) {
    throw Error::runtime(path + " has no '" + std::string(key) + "' tensor");
  }
  return dict.at(key).toTensor();
}

}  // namespace

// model.pt's embedding.weight [R, D] (torch::nn::Module::save keeps each child in an archive of
// its own).
torch::Tensor trained_table(const std::string& model_path) {
  if (const std::string problem = archive_problem(model_path); !problem.empty()) {
    throw Error::runtime(model_path + " is not a readable model file: " + problem);
  }
  try {
    torch::serialize::InputArchive archive, embedding;
    archive.load_from(model_path);
    archive.read("embedding", embedding);
    torch::Tensor weight;
    embedding.read("weight", weight);
    return cpu_weights(weight);
  } catch (const std::exception& e) {
    throw Error::runtime(model_path + " has no readable embedding.weight: " + torch_error_text(e));
  }
}

c10::impl::GenericDict embeddings_file(const torch::Tensor& rows, const torch::Tensor& before, const torch::Tensor& after) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert("format_version", kFormatVersion);
  dict.insert("rows", rows.to(torch::kCPU, torch::kInt64).contiguous());
  dict.insert("before", cpu_weights(before));
  if (after.defined()) dict.insert("after", cpu_weights(after));
  return dict;
}

std::pair<torch::Tensor, torch::Tensor> read_tables(const std::string& path, const std::string& model_path,
                                                    int64_t rows) {
  const auto dict = read_dict(path);
  const auto check_rows = [&](const torch::Tensor& table, const std::string& file, const char* what) {
    if (table.dim() != 2 || table.size(0) != rows) {
      throw Error::runtime(file + ": '" + what + "' has " + (table.dim() == 2 ? std::to_string(table.size(0)) : "no") +
                           " rows where the run's vocabulary has " + std::to_string(rows) +
                           "; the run folder's files do not belong together");
    }
  };
  if (!dict.contains("format_version")) {  // format 1: both tables whole
    auto before = cpu_weights(tensor_in(dict, path, "before"));
    auto after = cpu_weights(tensor_in(dict, path, "after"));
    check_rows(before, path, "before");
    check_rows(after, path, "after");
    return {before, after};
  }
  const auto version = dict.at("format_version");
  if (!version.isInt() || version.toInt() != kFormatVersion) {
    throw Error::runtime(path + " has embeddings format " + (version.isInt() ? std::to_string(version.toInt()) : "?") +
                         "; this embtrain reads formats 1 and 2: use the embtrain that wrote the run");
  }
  const bool own_after = dict.contains("after");  // a subword word run's word vectors
  torch::Tensor after = own_after ? cpu_weights(tensor_in(dict, path, "after")) : trained_table(model_path);
  check_rows(after, own_after ? path : model_path, own_after ? "after" : "embedding.weight");
  const auto moved = tensor_in(dict, path, "rows").to(torch::kInt64).contiguous();
  const auto moved_before = cpu_weights(tensor_in(dict, path, "before"));
  const bool fits = moved.dim() == 1 && moved_before.dim() == 2 && moved_before.size(0) == moved.size(0) &&
                    moved_before.size(1) == after.size(1) &&
                    (moved.numel() == 0 || (moved.min().item<int64_t>() >= 0 && moved.max().item<int64_t>() < rows));
  if (!fits) {
    throw Error::runtime(path + ": 'rows' and 'before' do not fit model.pt's table [" + std::to_string(rows) + ", " +
                         std::to_string(after.size(1)) + "]; the run folder's files do not belong together");
  }
  torch::Tensor before = after.clone();
  before.index_copy_(0, moved, moved_before);
  return {before, after};
}

}  // namespace embtrain
