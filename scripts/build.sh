#!/usr/bin/env bash
# build.sh — configures and builds embtrain (Release) into build/; extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
