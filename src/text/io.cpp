// io.cpp — read_file, write_file_atomic, ensure_writable_dir.
#include "embtrain/text/io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "embtrain/text/error.h"

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

void write_atomically(const std::string& path, const std::function<void(const Sink&)>& write) {
  const bool special = is_special_file(path);
  const std::string target = special ? path : path + ".tmp-" + std::to_string(::getpid());
  const int fd = special ? ::open(target.c_str(), O_WRONLY | O_CLOEXEC)
                         : ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error::runtime("cannot write '" + path + "': " + std::strerror(errno));
  int failure = 0;
  const Sink sink = [&](const void* data, size_t size) -> size_t {
    const char* bytes = static_cast<const char*>(data);
    size_t done = 0;
    while (failure == 0 && done < size) {
      const ssize_t n = ::write(fd, bytes + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) failure = n < 0 ? errno : EIO;
      else done += static_cast<size_t>(n);
    }
    return size;  // after a failure, swallow the rest (see the header)
  };
  std::string error;
  try {
    write(sink);
  } catch (const std::exception& e) {
    error = e.what();
    error = error.substr(0, error.find('\n'));
  }
  if (failure == 0 && error.empty() && !special && ::fsync(fd) != 0) failure = errno;
  if (::close(fd) != 0 && failure == 0) failure = errno;
  if (failure != 0 || !error.empty()) {
    if (!special) ::unlink(target.c_str());
    throw Error::runtime("cannot write '" + path + "': " + (failure ? std::strerror(failure) : error));
  }
  if (!special && ::rename(target.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(target.c_str());
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
