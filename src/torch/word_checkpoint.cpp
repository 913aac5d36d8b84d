// word_checkpoint.cpp — save_word_checkpoint / load_word_checkpoint (word_checkpoint.h).
#include "embtrain/torch/word_checkpoint.h"

#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/torch/checkpoint.h"
#include "embtrain/torch/matrix_view.h"
#include "embtrain/torch/torch_error.h"

namespace embtrain {
namespace {
constexpr int64_t kWordFormat = 1;
}  // namespace

void save_word_checkpoint(const std::string& path, const torch::nn::Module& model,
                          const torch::optim::Optimizer& optimizer, const WordProgress& p,
                          const std::string& fingerprint) {
  torch::NoGradGuard no_grad;
  write_atomically(path, [&](const Sink& sink) {
    torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
    model.save(model_archive);
    optimizer.save(optimizer_archive);
    archive.write("model", model_archive);
    archive.write("optimizer", optimizer_archive);
    archive.write("word_format", c10::IValue(kWordFormat));
    archive.write("fingerprint", c10::IValue(fingerprint));
    archive.write("position", int64_tensor({p.epoch, p.step, p.steps, p.epoch_pairs}));
    archive.write("epoch_loss", torch::tensor(p.epoch_loss, torch::kFloat64));
    archive.write("epoch_generator", p.epoch_generator);
    archive.write("generator", p.generator);
    archive.write("use_input", int64_tensor(p.use_input));
    archive.write("use_target", int64_tensor(p.use_target));
    archive.write("use_negative", int64_tensor(p.use_negative));
    archive.write("metrics_lines", c10::IValue(p.metrics_lines));
    archive.write("best", int64_tensor({p.best_epoch, p.epochs_since_best, p.stopped_early ? 1 : 0}));
    archive.write("best_spearman", torch::tensor(p.best_spearman, torch::kFloat64));
    for (size_t i = 0; i < p.best_parameters.size(); ++i) archive.write("best_" + std::to_string(i), p.best_parameters[i]);
    archive.save_to(sink);
  });
}

void load_word_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                          WordProgress& p) {
  torch::serialize::InputArchive archive = open_checkpoint(path);
  std::vector<std::vector<int64_t>> shapes;
  for (const auto& parameter : model.parameters()) shapes.push_back(parameter.sizes().vec());
  try {
    c10::IValue value;
    if (!archive.try_read("word_format", value) || value.toInt() != kWordFormat) {
      throw Error::runtime("cannot resume from '" + path + "': it is not a word run's checkpoint");
    }
    torch::serialize::InputArchive model_archive, optimizer_archive;
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    model.load(model_archive);
    optimizer.load(optimizer_archive);
    // InputArchive::read set_()s into a tensor that is already defined: read each into a new one.
    const auto tensor = [&](const std::string& key) {
      torch::Tensor t;
      archive.read(key, t);
      return t;
    };
    const auto position = int64_values(tensor("position"));
    if (position.size() != 4) throw Error::runtime("cannot resume from '" + path + "': its position is malformed");
    p.epoch = position[0];
    p.step = position[1];
    p.steps = position[2];
    p.epoch_pairs = position[3];
    p.epoch_loss = tensor("epoch_loss").item<double>();
    p.epoch_generator = tensor("epoch_generator");
    p.generator = tensor("generator");
    p.use_input = int64_values(tensor("use_input"));
    p.use_target = int64_values(tensor("use_target"));
    p.use_negative = int64_values(tensor("use_negative"));
    archive.read("metrics_lines", value);
    p.metrics_lines = value.toStringRef();
    const auto best = int64_values(tensor("best"));
    p.best_epoch = best.at(0);
    p.epochs_since_best = best.at(1);
    p.stopped_early = best.at(2) != 0;
    p.best_spearman = tensor("best_spearman").item<double>();
    p.best_parameters.clear();
    for (size_t i = 0; i < shapes.size(); ++i) {
      torch::Tensor t;
      if (!archive.try_read("best_" + std::to_string(i), t)) break;
      p.best_parameters.push_back(t);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error::runtime("cannot resume from '" + path + "': " + torch_error_text(e));
  }
  const auto parameters = model.parameters();
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (parameters[i].sizes().vec() != shapes[i]) {
      throw Error::runtime("cannot resume from '" + path + "': its tables do not fit this config and vocabulary");
    }
  }
}

}  // namespace embtrain
