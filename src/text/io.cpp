// io.cpp — read_file, write_atomically (and write_file_atomic over it), append_line,
// ensure_writable_dir.
#include "embtrain/text/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "embtrain/text/error.h"

namespace embtrain {

std::string unreadable_reason(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  struct stat info {};
  const bool directory = ::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode);
  ::close(fd);
  return directory ? std::strerror(EISDIR) : "";
}

std::string read_file(const std::string& path, const std::string& what) {
  if (const std::string reason = unreadable_reason(path); !reason.empty()) {
    throw Error::runtime("cannot read " + what + " '" + path + "': " + reason);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error::runtime("cannot read " + what + " '" + path + "'");
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

// The temp files being written right now, for remove_temp_files_in_flight(). A slot is claimed,
// filled, then published; a signal handler reads only published slots.
constexpr int kTempSlots = 16;
constexpr size_t kTempPathMax = 4096;
char temp_paths[kTempSlots][kTempPathMax];
std::atomic<bool> temp_claimed[kTempSlots];
std::atomic<bool> temp_published[kTempSlots];

// Registers `path` while it lives (none when every slot is taken or the path is too long).
class TempFileRecord {
 public:
  explicit TempFileRecord(const std::string& path) {
    if (path.size() >= kTempPathMax) return;
    for (int i = 0; i < kTempSlots; ++i) {
      bool expected = false;
      if (temp_claimed[i].compare_exchange_strong(expected, true)) {
        std::memcpy(temp_paths[i], path.c_str(), path.size() + 1);
        temp_published[i].store(true);
        slot_ = i;
        return;
      }
    }
  }
  ~TempFileRecord() {
    if (slot_ < 0) return;
    temp_published[slot_].store(false);
    temp_claimed[slot_].store(false);
  }
  TempFileRecord(const TempFileRecord&) = delete;
  TempFileRecord& operator=(const TempFileRecord&) = delete;

 private:
  int slot_ = -1;
};

// Writes all of `content` to `fd`; returns 0 or the errno of the first failed write.
int write_all(int fd, const char* bytes, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, bytes + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// Feeds a file in aligned blocks, with O_DIRECT where the file system takes it, so that a large
// file goes from this buffer to the disk without being copied into the page cache first: for a
// 1M-row table that copy (into page-cache pages the machine had never touched) was over a
// quarter of a whole run's samples, and a durable file waits for the disk anyway. A file
// smaller than one block, a file system that refuses O_DIRECT (older kernels' tmpfs), and the
// unaligned tail are written through the page cache as before; the bytes are the same either way.
class BlockWriter {
 public:
  BlockWriter(int fd, bool direct_allowed) : fd_(fd), direct_allowed_(direct_allowed) {}
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;
  ~BlockWriter() { std::free(buffer_); }

  // 0, or the errno of the first failed write. Without O_DIRECT to try (a file that need not
  // be durable, a device or pipe) the bytes go straight through, unbuffered, as they come.
  int add(const char* bytes, size_t size) {
    if (!direct_allowed_) return write_all(fd_, bytes, size);
    while (size > 0) {
      if (buffer_ == nullptr && ::posix_memalign(reinterpret_cast<void**>(&buffer_), kAlign, kBlock) != 0) {
        buffer_ = nullptr;
        return write_all(fd_, bytes, size);  // no buffer: straight through the page cache
      }
      const size_t n = std::min(size, kBlock - used_);
      std::memcpy(buffer_ + used_, bytes, n);
      used_ += n;
      bytes += n;
      size -= n;
      if (used_ == kBlock) {
        if (const int failure = write_block()) return failure;
      }
    }
    return 0;
  }
  // Writes what is left (through the page cache: its size need not be aligned).
  int finish() {
    if (used_ == 0) return 0;
    set_direct(false);
    const int failure = write_all(fd_, buffer_, used_);
    used_ = 0;
    return failure;
  }

 private:
  static constexpr size_t kBlock = size_t{4} << 20;  // a multiple of any block size
  static constexpr size_t kAlign = 4096;

  bool set_direct(bool on) {
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0) return false;
    if (::fcntl(fd_, F_SETFL, on ? flags | O_DIRECT : flags & ~O_DIRECT) != 0) return false;
    direct_ = on;
    return true;
  }
  // A full block: the first one turns O_DIRECT on (the file offset is 0, aligned); a file
  // system that refuses it, at fcntl or at the write, gets the page cache.
  int write_block() {
    if (!tried_direct_) {
      tried_direct_ = true;
      if (direct_allowed_) set_direct(true);
    }
    int failure = write_all(fd_, buffer_, kBlock);
    if (failure == EINVAL && direct_) {
      set_direct(false);
      failure = write_all(fd_, buffer_, kBlock);
    }
    used_ = 0;
    return failure;
  }

  int fd_;
  bool direct_allowed_, tried_direct_ = false, direct_ = false;
  char* buffer_ = nullptr;  // [kBlock], aligned to kAlign
  size_t used_ = 0;
};

WriteHook write_hook = nullptr;

}  // namespace

void set_write_hook(WriteHook hook) { write_hook = hook; }

void write_atomically(const std::string& path, const std::function<void(const Sink&)>& write,
                      bool durable) {
  const bool special = is_special_file(path);
  const std::string target = special ? path : path + ".tmp-" + std::to_string(::getpid());
  const TempFileRecord record(special ? std::string(kTempPathMax, 'x') : target);  // not a device
  const int fd = special ? ::open(target.c_str(), O_WRONLY | O_CLOEXEC)
                         : ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error::runtime("cannot write '" + path + "': " + std::strerror(errno));
  int failure = 0;  // the errno of the first failure, taken when it happened
  BlockWriter blocks(fd, durable && !special);
  const Sink sink = [&](const void* data, size_t size) -> size_t {
    if (failure == 0) failure = blocks.add(static_cast<const char*>(data), size);
    return size;  // after a failure, swallow the rest (see the header)
  };
  std::string error;
  try {
    write(sink);
  } catch (const std::exception& e) {
    error = e.what();
    error = error.substr(0, error.find('\n'));
  }
  if (failure == 0 && error.empty()) failure = blocks.finish();
  if (failure == 0 && error.empty() && durable && !special && ::fsync(fd) != 0) failure = errno;
  if (::close(fd) != 0 && failure == 0) failure = errno;
  if (failure != 0 || !error.empty()) {
    if (!special) ::unlink(target.c_str());
    throw Error::runtime("cannot write '" + path + "': " + (failure ? std::strerror(failure) : error));
  }
  if (write_hook && !special) write_hook(path, false);
  if (!special && ::rename(target.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(target.c_str());
    throw Error::runtime("cannot write '" + path + "': " + reason);
  }
  if (write_hook && !special) write_hook(path, true);
}

void write_file_atomic(const std::string& path, std::string_view content, bool durable) {
  write_atomically(
      path, [&](const Sink& sink) { sink(content.data(), content.size()); }, durable);
}

void append_line(const std::string& path, std::string_view line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw Error::runtime("cannot append to '" + path + "': " + std::strerror(errno));
  std::string text(line);
  text += '\n';
  int failure = write_all(fd, text.data(), text.size());  // one write(): a whole line or none
  if (::close(fd) != 0 && failure == 0) failure = errno;
  if (failure != 0) throw Error::runtime("cannot append to '" + path + "': " + std::strerror(failure));
}

void remove_temp_files_in_flight() noexcept {
  for (int i = 0; i < kTempSlots; ++i) {
    if (temp_published[i].load()) ::unlink(temp_paths[i]);
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
