#!/usr/bin/env bash
# test.sh — builds embtrain and runs the whole test suite (ctest); non-zero on any failure.
# Does its own set-up on a fresh Debian 12 or 13: Debian packages, and .venv/ with PyTorch 2.x
# (its LibTorch is what embtrain builds against; its Python runs the parity and formats tests).
#   ./scripts/test.sh              Release build in build/
#   ./scripts/test.sh --sanitize   AddressSanitizer + UBSan build in build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
if [[ "${1:-}" == "--sanitize" ]]; then
  build_dir=build-sanitize
  cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMBTRAIN_SANITIZE=ON)
  # Any report fails the run. Leak checking is off: LibTorch's own static allocations
  # (operator registries) are never freed and would be reported at every exit.
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
fi
./scripts/deps.sh chromium
cmake -S . -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
cd "$build_dir"
ctest --output-on-failure -j"$(nproc)"
