// row_ids.h — RowIds: a corpus's embedding rows [T], int32, contiguous.
//
// The one array whose size is the corpus's (4 bytes per token), so it is never copied while it
// grows: its memory is an anonymous mapping that mremap() enlarges in place (a std::vector
// would hold the old and the new buffer at once, 12 bytes per token at the moment it grows).
// Pages beyond size() are reserved, not resident. Its memory can instead be an unlinked temp
// file (in_file): the kernel then writes pages back and drops them as it needs, so rows larger
// than memory still encode. It can also view rows that a file mapping holds (the
// encoded-corpus cache, corpus_cache.h): read-only, paged in as they are read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace embtrain {

class RowIds {
 public:
  RowIds() = default;
  RowIds(std::initializer_list<int32_t> values);
  ~RowIds();
  RowIds(RowIds&& other) noexcept;
  RowIds& operator=(RowIds&& other) noexcept;
  RowIds(const RowIds& other);  // a copy in memory of its own
  RowIds& operator=(const RowIds& other);

  // Empty rows whose memory is an unlinked temp file in `folder` (data.cache): growing it
  // allocates disk blocks first, so a full disk is an Error, not a fault. Throws Error.
  static RowIds in_file(const std::string& folder);

  // `count` rows at `data` inside a mapping that `keep` keeps alive; read-only.
  static RowIds view(const int32_t* data, size_t count, std::shared_ptr<const void> keep);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const int32_t* data() const { return data_; }
  const int32_t* begin() const { return data_; }
  const int32_t* end() const { return data_ + size_; }
  int32_t operator[](size_t i) const { return data_[i]; }
  bool read_only() const { return viewed_ != nullptr; }

  // Growing and writing: only rows of its own (an Error-free programming mistake otherwise).
  int32_t* mutable_data();
  void set(size_t i, int32_t value) { mutable_data()[i] = value; }
  void push_back(int32_t value) {
    if (size_ == capacity_) grow(size_ + 1);
    data_[size_++] = value;
  }
  void append(const int32_t* first, const int32_t* last);
  void resize(size_t count);  // new rows are 0
  void reserve(size_t count);

  bool operator==(const RowIds& other) const;
  bool operator!=(const RowIds& other) const { return !(*this == other); }
  bool operator==(const std::vector<int32_t>& other) const;

 private:
  void grow(size_t at_least);
  void grow_file(size_t capacity);
  void release();

  int32_t* data_ = nullptr;
  size_t size_ = 0, capacity_ = 0;  // rows; capacity_ * 4 bytes are mapped when owned
  int fd_ = -1;                      // in_file: the temp file behind the mapping
  std::shared_ptr<const void> viewed_;  // set: data_ lies in someone else's mapping
};

}  // namespace embtrain
