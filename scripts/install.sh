#!/usr/bin/env bash
# install.sh — builds embtrain (scripts/build.sh) and installs it under PREFIX (default
# ~/.local): PREFIX/bin/embtrain, PREFIX/lib/libembtrain_{text,torch}.so. Put PREFIX/bin on
# PATH to type `embtrain` anywhere. The torch library keeps using the LibTorch it was built
# against (.venv's torch, or EMBTRAIN_LIBTORCH): keep that folder where it is.
# Usage: scripts/install.sh [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-$HOME/.local}
./scripts/build.sh >/dev/null
cmake --install build --prefix "$prefix" >/dev/null
echo "installed: $prefix/bin/embtrain"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "add it to PATH:  export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
