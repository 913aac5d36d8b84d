// io.cpp — read_file, write_file_atomic, ensure_writable_dir.
#include "embtrain/io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "embtrain/error.h"

namespace embtrain {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error::runtime("cannot read '" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

namespace {

// A device or pipe (/dev/stdout, /dev/full, a FIFO) is written in place: a
// temp file renamed over it would replace the device node.
bool is_special_file(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  return !error && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status) &&
         !std::filesystem::is_directory(status);
}

void write_all(int fd, std::string_view content, const std::string& path) {
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = std::strerror(n < 0 ? errno : EIO);
      ::close(fd);
      throw Error::runtime("cannot write '" + path + "': " + reason);
    }
    written += static_cast<size_t>(n);
  }
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view content, bool durable) {
  if (is_special_file(path)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw Error::runtime("cannot write '" + path + "': " + std::strerror(errno));
    write_all(fd, content, path);
    if (::close(fd) != 0) throw Error::runtime("cannot write '" + path + "': " + std::strerror(errno));
    return;
  }
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    throw Error::runtime(std::string("cannot ") + what + " '" + path + "': " + reason);
  };
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("write");
  try {
    write_all(fd, content, path);
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  if (durable && ::fsync(fd) != 0) {
    ::close(fd);
    fail("sync");
  }
  if (::close(fd) != 0) fail("write");
  if (::rename(temp.c_str(), path.c_str()) != 0) fail("rename into");
}

void write_atomically(const std::string& path,
                      const std::function<void(const std::string&)>& write) {
  if (is_special_file(path)) {
    try {
      write(path);
    } catch (const std::exception& e) {
      throw Error::runtime("cannot write '" + path + "': " + e.what());
    }
    return;
  }
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  try {
    write(temp);
  } catch (const std::exception& e) {
    ::unlink(temp.c_str());
    throw Error::runtime("cannot write '" + path + "': " + e.what());
  }
  const int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced || ::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    throw Error::runtime("cannot write '" + path + "': " + reason);
  }
}

void ensure_writable_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::exists(dir, error) && !fs::is_directory(dir, error)) {
    throw Error::runtime("output path '" + dir + "' exists and is not a folder");
  }
  fs::create_directories(dir, error);
  if (error) throw Error::runtime("cannot create output folder '" + dir + "': " + error.message());
  const std::string probe = (fs::path(dir) / (".write-test-" + std::to_string(::getpid()))).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    throw Error::runtime("output folder '" + dir + "' is not writable: " + std::strerror(errno));
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace embtrain
