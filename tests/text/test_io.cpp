// test_io.cpp — whole-or-nothing writes, their errors with the OS's reason, appends, reads.
#include "embtrain/text/io.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>
#include <stdexcept>

#include "../catch.h"
#include "../helpers.h"
#include "embtrain/text/error.h"

using namespace embtrain;
using embtrain::test::contains;
using embtrain::test::slurp;
using embtrain::test::spit;
using embtrain::test::TempDir;
namespace fs = std::filesystem;

namespace {

// The files in `dir`, to see that no temp file was left behind.
size_t files_in(const TempDir& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path)) ++n;
  return n;
}

}  // namespace

TEST_CASE("write_file_atomic replaces a file whole and leaves no temp file") {
  TempDir dir;
  write_file_atomic(dir / "a.txt", "first");
  write_file_atomic(dir / "a.txt", "second, longer");
  CHECK(slurp(dir / "a.txt") == "second, longer");
  CHECK(files_in(dir) == 1);
  write_file_atomic("/dev/null", "into a device, in place");  // not renamed over the device
  CHECK(fs::exists("/dev/null"));
}

TEST_CASE("a streamed file of several 4 MB blocks and an odd tail comes out byte for byte") {
  // Blocks go out with O_DIRECT where the file system takes it (/tmp here), the tail through
  // the page cache; /dev/shm (tmpfs) takes O_DIRECT on recent kernels and refuses it on older ones.
  const size_t block = size_t{4} << 20;
  std::string content(2 * block + 4099, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 2654435761u) >> 13);
  TempDir dir;
  std::vector<std::string> places{dir / "big.bin"};
  if (fs::is_directory("/dev/shm")) places.push_back("/dev/shm/embtrain-test-io-" + std::to_string(::getpid()));
  for (const std::string& path : places) {
    for (const size_t size : {content.size(), block, block - 1, size_t{0}}) {
      write_atomically(path, [&](const Sink& sink) {
        // Pieces of uneven sizes, as an archive writer hands them: headers and whole tensors.
        size_t at = 0;
        for (size_t piece = 1; at < size; piece = piece * 7 % 1000003 + 1) {
          const size_t n = std::min(piece, size - at);
          sink(content.data() + at, n);
          at += n;
        }
      });
      CHECK(slurp(path) == content.substr(0, size));
    }
    fs::remove(path);
  }
  CHECK(files_in(dir) == 0);  // no temp file left
}

TEST_CASE("a failed write keeps the old file, removes the temp file and names the OS's reason") {
  TempDir dir;
  spit(dir / "keep.txt", "old");
  CHECK_THROWS_WITH(write_atomically(dir / "keep.txt",
                                     [](const Sink& sink) {
                                       sink("new", 3);
                                       throw std::runtime_error("writer broke");
                                     }),
                    contains("cannot write '" + (dir / "keep.txt") + "': writer broke"));
  CHECK(slurp(dir / "keep.txt") == "old");
  CHECK(files_in(dir) == 1);
  CHECK_THROWS_WITH(write_file_atomic(dir / "missing/x.txt", "x"),
                    contains("No such file or directory"));
  CHECK_THROWS_WITH(write_file_atomic("/dev/full", std::string(1 << 16, 'x')),
                    contains("cannot write '/dev/full': No space left on device"));
}

TEST_CASE("append_line grows a file a line at a time") {
  TempDir dir;
  append_line(dir / "m.jsonl", "{\"epoch\": 1}");
  append_line(dir / "m.jsonl", "{\"epoch\": 2}");
  CHECK(slurp(dir / "m.jsonl") == "{\"epoch\": 1}\n{\"epoch\": 2}\n");
  CHECK_THROWS_WITH(append_line(dir / "no/m.jsonl", "x"), contains("cannot append to"));
}

TEST_CASE("read_file and ensure_writable_dir name the path") {
  TempDir dir;
  CHECK_THROWS_WITH(read_file(dir / "nope"), contains(dir / "nope"));
  spit(dir / "file", "x");
  CHECK_THROWS_WITH(ensure_writable_dir(dir / "file"), contains("exists and is not a folder"));
  ensure_writable_dir(dir / "a/b");
  CHECK(fs::is_directory(dir / "a/b"));
}
