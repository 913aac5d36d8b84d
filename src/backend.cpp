// backend.cpp — finds and dlopen()s libembtrain_torch.so.
#include "embtrain/backend.h"

#include <dlfcn.h>

#include <filesystem>
#include <vector>

#include "embtrain/text/error.h"

namespace embtrain {

const TorchBackend& torch_backend() {
  static const TorchBackend* backend = [] {
    namespace fs = std::filesystem;
    std::error_code error;
    const fs::path exe_dir = fs::read_symlink("/proc/self/exe", error).parent_path();
    std::vector<fs::path> candidates;
    if (const char* override_path = std::getenv("EMBTRAIN_TORCH_LIB")) {
      candidates.emplace_back(override_path);
    }
    candidates.push_back(exe_dir / "libembtrain_torch.so");
    candidates.push_back(exe_dir / ".." / "lib" / "libembtrain_torch.so");
    std::string errors;
    for (const auto& path : candidates) {
      if (!fs::exists(path, error)) continue;
      void* handle = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_GLOBAL);
      if (!handle) {
        errors += std::string(" ") + ::dlerror();
        continue;
      }
      using Version = int (*)();
      auto version = reinterpret_cast<Version>(::dlsym(handle, "embtrain_torch_backend_version"));
      const int found = version ? version() : 1;  // version 1 exported no version
      if (found != kTorchBackendVersion) {
        throw Error::runtime("'" + path.string() + "' has torch interface version " +
                             std::to_string(found) + ", but this embtrain binary needs version " +
                             std::to_string(kTorchBackendVersion) +
                             ": build both from the same source (cmake --build build)");
      }
      using Entry = const TorchBackend* (*)();
      auto entry = reinterpret_cast<Entry>(::dlsym(handle, "embtrain_torch_backend"));
      if (entry) return entry();
      errors += " " + path.string() + " has no embtrain_torch_backend";
    }
    throw Error::runtime("cannot load the LibTorch part of embtrain (libembtrain_torch.so next to "
                         "the binary):" + (errors.empty() ? std::string(" not found") : errors));
  }();
  return *backend;
}

}  // namespace embtrain
