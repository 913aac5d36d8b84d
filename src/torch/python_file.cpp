// python_file.cpp — save_for_python: torch.load-able archives, streamed.
#include "embtrain/torch/python_file.h"

// Not part of torch/torch.h, but installed with every LibTorch 2.x: they are the pieces
// torch::pickle_save is made of, and the only way to stream its format.
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <vector>

namespace embtrain {

void save_for_python(const c10::IValue& value, const Sink& sink) {
  std::vector<char> pickle;  // data.pkl: the object graph, small; tensors are written apart
  // No tensor table: tensors go out as storages (persistent ids), as torch.save writes them;
  // the Pickler keeps them for writeArchiveAndTensors in tensorData().
  torch::jit::Pickler pickler(
      [&](const char* bytes, size_t size) { pickle.insert(pickle.end(), bytes, bytes + size); },
      /*tensor_table=*/nullptr, /*type_renamer=*/nullptr, /*memoized_class_types=*/nullptr,
      /*get_tensor_id=*/nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(value);
  pickler.stop();
  caffe2::serialize::PyTorchStreamWriter writer(sink);
  torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(),
                                     writer);
  writer.writeEndOfFile();
}

void write_for_python(const std::string& path, const c10::IValue& value) {
  write_atomically(path, [&](const Sink& sink) { save_for_python(value, sink); });
}

}  // namespace embtrain
