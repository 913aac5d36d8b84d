#!/usr/bin/env bash
# test.sh — builds embtrain and runs the whole test suite (ctest); non-zero on any failure.
# Does its own set-up on a fresh Debian 12, including python3-torch for the parity tests.
#   ./scripts/test.sh              Release build in build/
#   ./scripts/test.sh --sanitize   AddressSanitizer + UBSan build in build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
if [[ "${1:-}" == "--sanitize" ]]; then
  build_dir=build-sanitize
  cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMBTRAIN_SANITIZE=ON)
fi
./scripts/deps.sh python3-torch chromium
cmake -S . -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
cd "$build_dir"
ctest --output-on-failure -j"$(nproc)"
