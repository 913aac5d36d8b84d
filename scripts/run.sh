#!/usr/bin/env bash
# run.sh — trains the article's example (configs/seed.json) into runs/seed/ and says what it found.
# Does its own set-up on a fresh Debian 12 or 13 (packages, .venv with LibTorch 2.x), builds build/embtrain.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
summary=$(build/embtrain train --config configs/seed.json --output-dir runs/seed --force --json "$@")
echo
echo "Run folder: runs/seed/ (config.json, vocab.txt, model.pt, metrics.jsonl, report.json)"
echo "Report:     runs/seed/report.json"
echo "Summary:    $summary"
