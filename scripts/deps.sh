#!/usr/bin/env bash
# deps.sh — installs what embtrain needs, skipping what is present:
#   1. Debian 12 or 13 packages: compiler, CMake, CLI11, nlohmann/json, spdlog (+fmt), Catch2
#      (2.x on Debian 12, 3.x on 13), Gloo's headers (c10d's ProcessGroupGloo, for --nproc and
#      torchrun, needs them; the torch wheel lacks them), plus any EXTRA_PACKAGE given;
#   2. .venv/ (git-ignored): a Python virtual environment holding PyTorch 2.x (CPU). Its LibTorch
#      is what CMake builds against (torch.utils.cmake_prefix_path), and the parity, formats and
#      benchmark scripts run its Python side, so both sides are one version.
# usage: deps.sh [--no-venv] [EXTRA_PACKAGE...]
# Environment:
#   EMBTRAIN_LIBTORCH=/path   build against that LibTorch instead (libtorch archive, CUDA build);
#                             .venv is still made for the Python tests.
#   EMBTRAIN_TORCH_SPEC       the pip requirement for torch (default torch==2.13.0)
#   EMBTRAIN_PIP_ARGS         extra pip arguments, e.g. "--index-url <PyTorch's CPU wheel index>"
#                             on a machine where plain pip would fetch the multi-GB CUDA build
set -euo pipefail
cd "$(dirname "$0")/.."

with_venv=1
if [[ "${1:-}" == "--no-venv" ]]; then
  with_venv=0
  shift
fi

packages=(build-essential cmake pkg-config libcli11-dev nlohmann-json3-dev libspdlog-dev catch2 libgloo-dev
          python3 python3-venv "$@")
# Without Gloo's headers embtrain still builds and trains in one process; --nproc and torchrun
# then say what is missing. A release without libgloo-dev must not stop the rest installing.
optional=(libgloo-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "embtrain: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  required=()
  for package in "${missing[@]}"; do
    [[ " ${optional[*]} " == *" $package "* ]] || required+=("$package")
  done
  if ((${#required[@]})); then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${required[@]}" >&2
  fi
  for package in "${optional[@]}"; do
    [[ " ${missing[*]} " == *" $package "* ]] || continue
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$package" >&2 ||
      echo "embtrain: $package is not available here: building without data-parallel training" >&2
  done
fi

((with_venv)) || exit 0
# The Python packages: torch (its LibTorch too), numpy (torch warns without it), gensim (the
# formats tests load exports with the real gensim).
torch_spec=${EMBTRAIN_TORCH_SPEC:-torch==2.13.0}
venv=.venv
stamp="$venv/.embtrain-deps"
want="$torch_spec numpy gensim"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "embtrain: setting up $venv ($want)" >&2
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
# shellcheck disable=SC2086
"$venv/bin/pip" install -q --disable-pip-version-check ${EMBTRAIN_PIP_ARGS:-} "$torch_spec" numpy gensim 2>&1 \
  | { grep -v "^WARNING: Location" || true; } >&2
echo "$want" > "$stamp"
