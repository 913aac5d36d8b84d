#!/usr/bin/env bash
# bench-threads.sh — how one training process scales with train.threads, and that it gives the
# same bits on every thread count.
#
# Trains configs/spam.json (scripts/fetch-spam.sh's data/spam) with each thread count given,
# BENCH_RUNS times each (default 3), the counts alternating, and prints a table: the medians of
# wall time and of the training phase (the sum of metrics.jsonl's epoch seconds), the speed-up
# of each against 1 thread, and the largest |difference| of every trained tensor (model.pt and
# embeddings.pt's `before` rows) against the 1-thread run, which must be 0.
# Usage: scripts/bench-threads.sh [THREADS...]   (default: 1 2; gpu-check.sh passes 1 2 4 8 16)
# Environment: EMBTRAIN (default build/embtrain), PYTHON (default .venv/bin/python, a python3
# with torch), BENCH_RUNS.
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@")
((${#counts[@]})) || counts=(1 2)
[[ " ${counts[*]} " == *" 1 "* ]] || counts=(1 "${counts[@]}")
runs=${BENCH_RUNS:-3}
embtrain=${EMBTRAIN:-build/embtrain}
py=${PYTHON:-.venv/bin/python}
[[ -s data/spam/train.txt ]] || ./scripts/fetch-spam.sh
work=$(mktemp -d /tmp/embtrain-threads-XXXXXX)
trap 'rm -rf "$work"' EXIT
: >"$work/times.tsv"
for ((i = 0; i < runs; i++)); do
  for threads in "${counts[@]}"; do
    dir="$work/t$threads"
    start=$(date +%s.%N)
    "$embtrain" train --config configs/spam.json --output-dir "$dir" --force --quiet \
      --set train.threads="$threads" >/dev/null
    end=$(date +%s.%N)
    printf '%s\t%s\t%s\n' "$threads" "$(echo "$end - $start" | bc)" \
      "$("$py" -c 'import json,sys; print(sum(json.loads(l)["seconds"] for l in open(sys.argv[1])))' "$dir/metrics.jsonl")" \
      >>"$work/times.tsv"
  done
done
"$py" - "$work" "$(nproc)" "${counts[@]}" <<'PY'
import statistics, sys, torch
work, cores, counts = sys.argv[1], int(sys.argv[2]), [int(c) for c in sys.argv[3:]]
rows = [line.split("\t") for line in open(f"{work}/times.tsv").read().split("\n") if line]
wall = {c: statistics.median(float(r[1]) for r in rows if int(r[0]) == c) for c in counts}
train = {c: statistics.median(float(r[2]) for r in rows if int(r[0]) == c) for c in counts}

def tensors(c):
    found = dict(torch.jit.load(f"{work}/t{c}/model.pt").state_dict())
    found["embeddings.pt before"] = torch.load(f"{work}/t{c}/embeddings.pt", weights_only=True)["before"]
    return found

one, worst = tensors(1), {}
for c in counts:
    other = tensors(c)
    worst[c] = max((one[k] - other[k]).abs().max().item() for k in one)
print(f"spam (configs/spam.json), {len(rows) // len(counts)} runs each, medians; {cores} cores")
print("| threads | wall s | whole-run speed-up | training s | training speed-up | max abs difference vs 1 thread |")
print("|---:|---:|---:|---:|---:|---:|")
for c in counts:
    print(f"| {c} | {wall[c]:.2f} | {wall[1] / wall[c]:.2f} | {train[c]:.3f} | {train[1] / train[c]:.2f} | {worst[c]} |")
same = all(w == 0 for w in worst.values())
print(f"Thread identity (every thread count's tensors equal 1 thread's): {'met' if same else 'NOT met'}")
sys.exit(0 if same else 1)
PY
