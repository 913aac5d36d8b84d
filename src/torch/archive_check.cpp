// archive_check.cpp — archive_problem: each pickled tensor against its record's real size.
#include "embtrain/torch/archive_check.h"

#include <c10/core/CPUAllocator.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/csrc/jit/serialization/storage_context.h>
#include <torch/torch.h>

#include <memory>
#include <sstream>
#include <unordered_set>
#include <vector>

#include "embtrain/torch/torch_error.h"

namespace embtrain {
namespace {

using caffe2::serialize::PyTorchStreamReader;

// True when every element `t` addresses lies inside its storage's bytes.
bool storage_backs(const at::Tensor& t) {
  if (!t.defined() || t.numel() == 0) return true;
  if (!t.has_storage() || t.storage_offset() < 0) return false;
  int64_t last = t.storage_offset();  // the furthest element addressed, in elements
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.stride(d) < 0) return false;
    if (t.stride(d) > 0 && t.size(d) - 1 > (INT64_MAX - last) / t.stride(d)) return false;
    last += (t.size(d) - 1) * t.stride(d);
  }
  const auto bytes = static_cast<int64_t>(t.storage().nbytes());
  return last < bytes / static_cast<int64_t>(t.element_size());
}

// Every tensor reachable from `root` (lists, tuples, dicts, objects; shared and cyclic
// references visited once, without recursion: a hostile pickle may nest deeply).
bool all_backed(const c10::IValue& root) {
  std::vector<c10::IValue> pending{root};
  std::unordered_set<const void*> seen;
  while (!pending.empty()) {
    const c10::IValue value = std::move(pending.back());
    pending.pop_back();
    if (value.isTensor()) {
      if (!storage_backs(value.toTensor())) return false;
      continue;
    }
    if (!value.isPtrType() || !seen.insert(value.internalToPointer()).second) continue;
    if (value.isList()) {
      for (const auto& item : value.toListRef()) pending.push_back(item);
    } else if (value.isTuple()) {
      for (const auto& item : value.toTupleRef().elements()) pending.push_back(item);
    } else if (value.isGenericDict()) {
      for (const auto& item : value.toGenericDict()) {
        pending.push_back(item.key());
        pending.push_back(item.value());
      }
    } else if (value.isObject()) {
      for (const auto& slot : value.toObjectRef().slots()) pending.push_back(slot);
    }
  }
  return true;
}

// Storages of the real size of each record under `prefix`, keyed as the pickle names them.
// Their bytes are never read, so they are allocated, not loaded.
std::shared_ptr<torch::jit::DeserializationStorageContext> record_storages(PyTorchStreamReader& reader,
                                                                          const std::string& prefix) {
  auto context = std::make_shared<torch::jit::DeserializationStorageContext>();
  for (const auto& name : reader.getAllRecords()) {
    if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) continue;
    const size_t bytes = reader.getRecordSize(name);
    context->addStorage(name.substr(prefix.size()),
                        c10::Storage(c10::Storage::use_byte_size_t(), bytes,
                                     c10::GetCPUAllocator()->allocate(bytes), nullptr, false));
  }
  return context;
}

// Unpickles archive `name` ("data", "constants") with classes made up on demand: every object's
// state is checked as it is built, and the object itself is kept empty.
bool archive_backed(PyTorchStreamReader& reader, const std::string& name) {
  if (!reader.hasRecord(name + ".pkl")) return true;
  auto unit = std::make_shared<torch::jit::CompilationUnit>();
  bool backed = true;
  auto resolve = [unit](const c10::QualifiedName& qualified) {
    auto type = unit->get_class(qualified);
    if (!type) {
      type = c10::ClassType::create(qualified, unit);
      unit->register_type(type);
    }
    return c10::StrongTypePtr(unit, type);
  };
  auto load_object = [&backed](const c10::StrongTypePtr& type, c10::IValue state) {
    backed = backed && all_backed(state);
    return c10::ivalue::Object::create(type, 0);
  };
  const c10::IValue root = torch::jit::readArchiveAndTensors(
      name, "", name + "/", torch::jit::TypeResolver(resolve), torch::jit::ObjLoader(load_object),
      c10::Device(c10::kCPU), reader, torch::jit::Unpickler::defaultTypeParser, record_storages(reader, name + "/"));
  return backed && all_backed(root);
}

template <typename MakeReader>
std::string problem_with(MakeReader make_reader) {
  try {
    auto reader = make_reader();
    if (archive_backed(*reader, "constants") && archive_backed(*reader, "data")) return "";
    return "a tensor in it is larger than the data stored for it";
  } catch (const std::exception& e) {  // c10::Error, a TorchScript ErrorReport, ...
    return torch_error_text(e);
  }
}

}  // namespace

std::string archive_problem(const std::string& path) {
  return problem_with([&] { return std::make_unique<PyTorchStreamReader>(path); });
}

std::string archive_problem_in(const std::string& bytes) {
  std::istringstream in(bytes);
  return problem_with([&] { return std::make_unique<PyTorchStreamReader>(&in); });
}

}  // namespace embtrain
