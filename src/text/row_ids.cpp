// row_ids.cpp — RowIds over mmap/mremap, or a view of a mapping.
#include "embtrain/text/row_ids.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "embtrain/text/error.h"

namespace embtrain {
namespace {

constexpr size_t kFirstCapacity = 16384;  // rows: 64 KiB

void* map_anonymous(size_t bytes) {
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  return memory;
}

}  // namespace

RowIds::RowIds(std::initializer_list<int32_t> values) { append(values.begin(), values.end()); }

RowIds::~RowIds() { release(); }

RowIds::RowIds(RowIds&& other) noexcept
    : data_(other.data_), size_(other.size_), capacity_(other.capacity_), fd_(other.fd_),
      viewed_(std::move(other.viewed_)) {
  other.data_ = nullptr;
  other.size_ = other.capacity_ = 0;
  other.fd_ = -1;
}

RowIds& RowIds::operator=(RowIds&& other) noexcept {
  if (this != &other) {
    release();
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    fd_ = other.fd_;
    viewed_ = std::move(other.viewed_);
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
    other.fd_ = -1;
  }
  return *this;
}

RowIds::RowIds(const RowIds& other) { append(other.begin(), other.end()); }

RowIds& RowIds::operator=(const RowIds& other) {
  if (this != &other) {
    RowIds copy(other);
    *this = std::move(copy);
  }
  return *this;
}

RowIds RowIds::view(const int32_t* data, size_t count, std::shared_ptr<const void> keep) {
  RowIds out;
  out.data_ = const_cast<int32_t*>(data);  // never written: mutable_data() refuses a view
  out.size_ = out.capacity_ = count;
  out.viewed_ = keep ? std::move(keep) : std::make_shared<int>(0);
  return out;
}

RowIds RowIds::in_file(const std::string& folder) {
  int fd = ::open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {  // a file system without O_TMPFILE: a named file, unlinked at once
    std::string name = folder + "/rows-XXXXXX";
    fd = ::mkstemp(name.data());
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) {
    throw Error::runtime("cannot create a file for the corpus rows in data.cache '" + folder + "': " +
                         std::strerror(errno));
  }
  RowIds out;
  out.fd_ = fd;
  return out;
}

void RowIds::release() {
  if (!viewed_ && data_) ::munmap(data_, capacity_ * sizeof(int32_t));
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  viewed_.reset();
  data_ = nullptr;
  size_ = capacity_ = 0;
}

int32_t* RowIds::mutable_data() {
  if (viewed_) throw std::logic_error("RowIds: rows viewed from a file are read-only");
  return data_;
}

void RowIds::grow(size_t at_least) {
  mutable_data();
  size_t capacity = std::max(kFirstCapacity, capacity_);
  while (capacity < at_least) capacity *= 2;
  if (fd_ >= 0) {
    grow_file(capacity);
    return;
  }
  if (!data_) {
    data_ = static_cast<int32_t*>(map_anonymous(capacity * sizeof(int32_t)));
  } else {
    // The pages move, they are not copied: no second buffer while the corpus grows.
    void* moved = ::mremap(data_, capacity_ * sizeof(int32_t), capacity * sizeof(int32_t), MREMAP_MAYMOVE);
    if (moved == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<int32_t*>(moved);
  }
  capacity_ = capacity;
}

void RowIds::grow_file(size_t capacity) {
  const auto old_bytes = static_cast<off_t>(capacity_ * sizeof(int32_t));
  const auto bytes = static_cast<off_t>(capacity * sizeof(int32_t));
  // Blocks first: writing a page of a mapped file that the disk cannot hold would be a SIGBUS.
  if (const int error = ::posix_fallocate(fd_, old_bytes, bytes - old_bytes); error != 0) {
    throw Error::runtime("cannot grow the corpus rows' file in data.cache to " + std::to_string(bytes) +
                         " bytes: " + std::strerror(error));
  }
  void* memory = data_ ? ::mremap(data_, static_cast<size_t>(old_bytes), static_cast<size_t>(bytes), MREMAP_MAYMOVE)
                       : ::mmap(nullptr, static_cast<size_t>(bytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  data_ = static_cast<int32_t*>(memory);
  capacity_ = capacity;
}

void RowIds::append(const int32_t* first, const int32_t* last) {
  const auto count = static_cast<size_t>(last - first);
  if (count == 0) return;
  if (size_ + count > capacity_) grow(size_ + count);
  std::memcpy(data_ + size_, first, count * sizeof(int32_t));
  size_ += count;
}

void RowIds::resize(size_t count) {
  if (count > capacity_) grow(count);
  if (count > size_) std::memset(mutable_data() + size_, 0, (count - size_) * sizeof(int32_t));
  mutable_data();
  size_ = count;
}

void RowIds::reserve(size_t count) {
  if (count > capacity_) grow(count);
}

bool RowIds::operator==(const RowIds& other) const {
  return size_ == other.size_ && (size_ == 0 || std::memcmp(data_, other.data_, size_ * sizeof(int32_t)) == 0);
}

bool RowIds::operator==(const std::vector<int32_t>& other) const {
  return size_ == other.size() && std::equal(begin(), end(), other.begin());
}

}  // namespace embtrain
