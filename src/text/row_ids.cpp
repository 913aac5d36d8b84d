// row_ids.cpp — RowIds over mmap/mremap, or a view of a mapping.
#include "embtrain/text/row_ids.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

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
    : data_(other.data_), size_(other.size_), capacity_(other.capacity_), viewed_(std::move(other.viewed_)) {
  other.data_ = nullptr;
  other.size_ = other.capacity_ = 0;
}

RowIds& RowIds::operator=(RowIds&& other) noexcept {
  if (this != &other) {
    release();
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    viewed_ = std::move(other.viewed_);
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
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

void RowIds::release() {
  if (!viewed_ && data_) ::munmap(data_, capacity_ * sizeof(int32_t));
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
