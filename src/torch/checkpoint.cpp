// checkpoint.cpp — save_checkpoint / load_checkpoint.
#include "embtrain/torch/checkpoint.h"

#include "embtrain/text/error.h"
#include "embtrain/text/io.h"
#include "embtrain/torch/archive_check.h"
#include "embtrain/torch/matrix_view.h"
#include "embtrain/torch/torch_error.h"

namespace embtrain {
namespace {

constexpr int64_t kFormat = 1;


// One value of the archive (InputArchive::read throws when it is missing).
c10::IValue read_value(torch::serialize::InputArchive& archive, const char* key) {
  c10::IValue value;
  archive.read(key, value);
  return value;
}

// train.early_stopping's state, when the checkpoint has one: each best parameter must have the
// shape of the model's.
void read_best(torch::serialize::InputArchive& archive, Classifier& model, TrainProgress& progress,
               const std::string& path) {
  c10::IValue value;
  if (!archive.try_read("best_epoch", value)) return;
  progress.best_epoch = value.toInt();
  progress.best_value = read_value(archive, "best_value").toDouble();
  progress.epochs_since_best = read_value(archive, "epochs_since_best").toInt();
  progress.stopped_early = read_value(archive, "stopped_early").toBool();
  progress.best_parameters.clear();
  const auto parameters = model->parameters();
  for (size_t i = 0; i < parameters.size(); ++i) {
    torch::Tensor best;
    archive.read("best_" + std::to_string(i), best);
    if (best.sizes() != parameters[i].sizes()) {
      throw Error::runtime("cannot resume from '" + path + "': its best epoch's weights do not fit this model");
    }
    progress.best_parameters.push_back(best.to(parameters[i].device()));
  }
}

}  // namespace

torch::serialize::InputArchive open_checkpoint(const std::string& path) {
  // Vetted first: LibTorch would build a tensor over a record shorter than it claims.
  if (const std::string problem = archive_problem(path); !problem.empty()) {
    throw Error::runtime("cannot resume from '" + path + "': not a readable checkpoint (" + problem + ")");
  }
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const std::exception& e) {  // c10::Error, torch::jit::ErrorReport, ...
    throw Error::runtime("cannot resume from '" + path + "': not a readable checkpoint (" +
                         torch_error_text(e) + ")");
  }
  return archive;
}

void save_checkpoint(const std::string& path, Classifier& model, const torch::optim::Optimizer& optimizer,
                     const TrainProgress& progress, const std::string& metrics_lines,
                     const std::string& fingerprint) {
  torch::NoGradGuard no_grad;
  for (const auto& parameter : model->parameters()) {
    if (!torch::isfinite(parameter).all().item<bool>()) {
      throw Error::runtime("training diverged: the weights hold NaN or Inf at epoch " +
                           std::to_string(progress.epoch) + ", step " + std::to_string(progress.step) +
                           "; the last good checkpoint is kept (try a smaller train.lr)");
    }
  }
  write_atomically(path, [&](const Sink& sink) {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive model_archive, optimizer_archive;
    model->save(model_archive);
    optimizer.save(optimizer_archive);
    archive.write("model", model_archive);
    archive.write("optimizer", optimizer_archive);
    archive.write("format", c10::IValue(kFormat));
    archive.write("epoch", c10::IValue(progress.epoch));
    archive.write("step", c10::IValue(progress.step));
    archive.write("order_drawn", c10::IValue(progress.order_drawn));
    archive.write("order", int64_tensor(progress.order));
    const auto& t = progress.tally;
    archive.write("tally", int64_tensor({t.true_pos, t.false_pos, t.true_neg, t.false_neg}));
    archive.write("loss_sum", torch::tensor(t.loss_sum, torch::kFloat64));
    if (t.multi_label()) {  // [3, C] per label, then the top-1 counts
      std::vector<int64_t> per_label = t.label_true_pos;
      per_label.insert(per_label.end(), t.label_false_pos.begin(), t.label_false_pos.end());
      per_label.insert(per_label.end(), t.label_false_neg.begin(), t.label_false_neg.end());
      archive.write("label_tally", int64_tensor(per_label));
      archive.write("top1_tally", int64_tensor({t.examples, t.top1_correct, t.gold_labels}));
    }
    if (progress.shuffle_state.defined()) archive.write("shuffle_state", progress.shuffle_state);
    archive.write("batch_steps", int64_tensor(progress.stats.batch_steps));
    archive.write("grad_steps", int64_tensor(progress.stats.grad_steps));
    archive.write("total_steps", c10::IValue(progress.stats.total_steps));
    archive.write("metrics_lines", c10::IValue(metrics_lines));
    if (progress.best_epoch > 0) {  // train.early_stopping's state
      archive.write("best_epoch", c10::IValue(progress.best_epoch));
      archive.write("best_value", c10::IValue(progress.best_value));
      archive.write("epochs_since_best", c10::IValue(progress.epochs_since_best));
      archive.write("stopped_early", c10::IValue(progress.stopped_early));
      for (size_t i = 0; i < progress.best_parameters.size(); ++i) {
        archive.write("best_" + std::to_string(i), progress.best_parameters[i]);
      }
    }
    archive.write("fingerprint", c10::IValue(fingerprint));
    archive.save_to(sink);
  });
}

std::string read_checkpoint_fingerprint(const std::string& path) {
  torch::serialize::InputArchive archive = open_checkpoint(path);
  c10::IValue value;
  return archive.try_read("fingerprint", value) && value.isString() ? value.toStringRef() : "";
}

void load_checkpoint(const std::string& path, Classifier& model, torch::optim::Optimizer& optimizer,
                     TrainProgress& progress, std::string& metrics_lines) {
  torch::serialize::InputArchive archive = open_checkpoint(path);
  // InputArchive replaces a parameter with whatever the file holds: check the shapes.
  std::vector<std::vector<int64_t>> shapes;
  for (const auto& parameter : model->parameters()) shapes.push_back(parameter.sizes().vec());
  try {
    c10::IValue value;
    archive.read("format", value);
    if (value.toInt() != kFormat) throw Error::runtime(path + ": unknown checkpoint format");
    torch::serialize::InputArchive model_archive, optimizer_archive;
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    model->load(model_archive);
    optimizer.load(optimizer_archive);
    progress.epoch = read_value(archive, "epoch").toInt();
    progress.step = read_value(archive, "step").toInt();
    progress.order_drawn = read_value(archive, "order_drawn").toBool();
    // InputArchive::read set_()s into a tensor that is already defined: read each into a new one.
    auto read_tensor = [&](const char* key) {
      torch::Tensor tensor;
      archive.read(key, tensor);
      return tensor;
    };
    progress.order = int64_values(read_tensor("order"));
    const auto tally = int64_values(read_tensor("tally"));
    progress.tally.true_pos = tally.at(0);
    progress.tally.false_pos = tally.at(1);
    progress.tally.true_neg = tally.at(2);
    progress.tally.false_neg = tally.at(3);
    progress.tally.loss_sum = read_tensor("loss_sum").item<double>();
    torch::Tensor label_tally;
    if (archive.try_read("label_tally", label_tally)) {
      const auto per_label = int64_values(label_tally);
      const auto top1 = int64_values(read_tensor("top1_tally"));
      const size_t classes = per_label.size() / 3;
      if (per_label.size() != 3 * classes || classes == 0 || top1.size() != 3) {
        throw Error::runtime("cannot resume from '" + path + "': its label counts are damaged");
      }
      auto& t = progress.tally;
      t.label_true_pos.assign(per_label.begin(), per_label.begin() + classes);
      t.label_false_pos.assign(per_label.begin() + classes, per_label.begin() + 2 * classes);
      t.label_false_neg.assign(per_label.begin() + 2 * classes, per_label.end());
      t.examples = top1[0];
      t.top1_correct = top1[1];
      t.gold_labels = top1[2];
    }
    torch::Tensor shuffle_state;
    if (archive.try_read("shuffle_state", shuffle_state)) progress.shuffle_state = shuffle_state;
    progress.stats.batch_steps = int64_values(read_tensor("batch_steps"));
    progress.stats.grad_steps = int64_values(read_tensor("grad_steps"));
    progress.stats.total_steps = read_value(archive, "total_steps").toInt();
    metrics_lines = read_value(archive, "metrics_lines").toStringRef();
    read_best(archive, model, progress, path);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // c10::Error, or a value of the wrong type in the archive
    throw Error::runtime("cannot resume from '" + path +
                         "': it does not match this run's model (" + torch_error_text(e) + ")");
  }
  const auto parameters = model->parameters();
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (parameters[i].sizes().vec() != shapes[i]) {
      throw Error::runtime("cannot resume from '" + path +
                           "': it does not match this run's model (a parameter has shape " +
                           c10::str(parameters[i].sizes()) + ", the config makes " +
                           c10::str(c10::IntArrayRef(shapes[i])) + ")");
    }
  }
  const auto rows = static_cast<size_t>(model->embedding->weight.size(0));
  if (progress.stats.batch_steps.size() != rows || progress.stats.grad_steps.size() != rows) {
    throw Error::runtime("cannot resume from '" + path + "': its vocabulary size differs from the run's");
  }
}

}  // namespace embtrain
