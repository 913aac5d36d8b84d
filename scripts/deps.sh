#!/usr/bin/env bash
# deps.sh — installs what embtrain needs from Debian 12 packages, skipping what is present.
# Sourced by run.sh and test.sh; usage: deps.sh [EXTRA_PACKAGE...]
set -euo pipefail

packages=(build-essential cmake libtorch-dev libcli11-dev nlohmann-json3-dev libspdlog-dev catch2 "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "embtrain: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
