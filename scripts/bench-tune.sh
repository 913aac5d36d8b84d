#!/usr/bin/env bash
# bench-tune.sh — `embtrain tune` against fastText's autotune, side by side, same data and budget.
#
# For SpamAssassin (scripts/fetch-spam.sh; 120 s) and the State of the Union by party
# (scripts/fetch-sotu.sh, 8 labels; 300 s): the training file is split, seeded, into 80% train
# and 20% validation (never touching the test split). sotu's test addresses are none of the
# training ones, so it is run twice: validation passages drawn at random (from the same addresses
# as the training passages) and validation by address (whole training addresses held out, as the
# test split is made). Then, on 2 threads each:
#   - the shipped config (configs/spam.json, configs/sotu.json) trained on the 80%;
#   - embtrain tune --budget B --valid VALID (default search space), its best config trained on
#     the 80% and scored on the test split once;
#   - fasttext supervised -autotune-validation VALID -autotune-duration B, scored on the test split.
# Then the same 6-trial search twice: trials.jsonl must be identical apart from timings.
# Prints a table (test accuracy / P@1, wall time) and each goal as met or not.
# Usage: scripts/bench-tune.sh [SPAM_BUDGET_S [SOTU_BUDGET_S]]
set -euo pipefail
cd "$(dirname "$0")/.."
spam_budget=${1:-120}
sotu_budget=${2:-300}
./scripts/deps.sh fasttext time >/dev/null
./scripts/build.sh >/dev/null
./scripts/fetch-spam.sh
./scripts/fetch-sotu.sh
work=$(mktemp -d /tmp/embtrain-bench-tune-XXXXXX)
trap 'rm -rf "$work"' EXIT
py=.venv/bin/python
rows=$work/rows.tsv
: >"$rows"

# split NAME TRAIN: $work/NAME-train.txt (80%) and $work/NAME-valid.txt (20%), seeded.
split() {
  $py - "$2" "$work/$1-train.txt" "$work/$1-valid.txt" <<'PY'
import random, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
random.Random(851).shuffle(lines)
cut = len(lines) * 4 // 5
open(sys.argv[2], "w", encoding="utf-8").writelines(lines[:cut])
open(sys.argv[3], "w", encoding="utf-8").writelines(lines[cut:])
PY
}

# split_by_address NAME TRAIN ADDRESSES: as split, but whole addresses (line for line in
# ADDRESSES) go to validation, seeded, until it holds 20% of the passages.
split_by_address() {
  $py - "$2" "$3" "$work/$1-train.txt" "$work/$1-valid.txt" <<'PY'
import random, sys
lines = open(sys.argv[1], encoding="utf-8").readlines()
addresses = [a.strip() for a in open(sys.argv[2], encoding="utf-8")]
assert len(lines) == len(addresses), "train-addresses.txt does not match train.txt: run fetch-sotu.sh again"
names = sorted(set(addresses))
random.Random(851).shuffle(names)
held, size = set(), 0
for name in names:
    if size >= len(lines) // 5:
        break
    held.add(name)
    size += addresses.count(name)
open(sys.argv[3], "w", encoding="utf-8").writelines(l for l, a in zip(lines, addresses) if a not in held)
open(sys.argv[4], "w", encoding="utf-8").writelines(l for l, a in zip(lines, addresses) if a in held)
PY
}

# row NAME SECONDS SCORE
row() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$rows"; }
now() { date +%s.%N; }
since() { $py -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f}")' "$1" "$(now)"; }
score() {  # report.json -> test accuracy (binary) or P@1 (many labels)
  $py -c 'import json,sys; t=json.load(open(sys.argv[1]))["metrics"]["test"]; print(t.get("p_at_1", t["accuracy"]))' "$1"
}

bench_task() {  # NAME CONFIG TEST BUDGET [ADDRESSES]
  local name=$1 config=$2 test=$3 budget=$4 start
  if [[ $# -ge 5 ]]; then
    split_by_address "$name" "data/${name%%-*}/train.txt" "$5"
  else
    split "$name" "data/$name/train.txt"
  fi
  start=$(now)
  build/embtrain train --config "$config" --set data.train="$work/$name-train.txt" --set train.threads=2 \
    --output-dir "$work/$name-shipped" --force --quiet
  row "$name: $config on the 80%" "$(since "$start")" "$(score "$work/$name-shipped/report.json")"
  start=$(now)
  build/embtrain tune --config "$config" --set data.train="$work/$name-train.txt" --set train.threads=2 \
    --valid "$work/$name-valid.txt" --budget "${budget}s" --output-dir "$work/$name-tune" --force --quiet --json \
    >"$work/$name-tune.json"
  row "$name: embtrain tune ${budget}s ($(wc -l <"$work/$name-tune/trials.jsonl") trials)" "$(since "$start")" \
    "$(score "$work/$name-tune/best/report.json")"
  start=$(now)
  fasttext supervised -input "$work/$name-train.txt" -output "$work/$name-ft" -autotune-validation \
    "$work/$name-valid.txt" -autotune-duration "$budget" -thread 2 -verbose 0 >/dev/null
  row "$name: fastText -autotune-duration $budget" "$(since "$start")" \
    "$(fasttext test "$work/$name-ft.bin" "$test" | awk '/^P@1/ {print $2}')"
}

echo "bench-tune: SpamAssassin, ${spam_budget} s" >&2
bench_task spam configs/spam.json data/spam/test.txt "$spam_budget"
echo "bench-tune: State of the Union, ${sotu_budget} s" >&2
bench_task sotu configs/sotu.json data/sotu/test.txt "$sotu_budget"
echo "bench-tune: State of the Union, validation by address, ${sotu_budget} s" >&2
bench_task sotu-by-address configs/sotu.json data/sotu/test.txt "$sotu_budget" data/sotu/train-addresses.txt

echo "bench-tune: the same 6-trial search twice" >&2
for k in 1 2; do
  build/embtrain tune --config configs/spam.json --set data.train="$work/spam-train.txt" --set train.threads=2 \
    --valid "$work/spam-valid.txt" --trials 6 --output-dir "$work/repeat-$k" --force --quiet
done
same=$($py - "$work/repeat-1/trials.jsonl" "$work/repeat-2/trials.jsonl" <<'PY'
import json, sys
def load(p):
    return [{k: v for k, v in json.loads(l).items() if k != "seconds"} for l in open(p)]
print("identical" if load(sys.argv[1]) == load(sys.argv[2]) else "DIFFERENT")
PY
)

$py - "$rows" "$same" <<'PY'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
print(f"{'run':58} {'wall s':>8} {'test acc / P@1':>15}")
for name, seconds, score in rows:
    print(f"{name:58} {float(seconds):8.1f} {float(score):15.4f}")
def pick(task, what):
    return next(float(s) for n, _, s in rows if n.startswith(task) and what in n)
for task in ("spam:", "sotu:", "sotu-by-address:"):
    tuned, shipped, ft = pick(task, "embtrain tune"), pick(task, "on the 80%"), pick(task, "fastText")
    ok = tuned >= shipped and tuned >= ft
    print(f"goal {task} tuned {tuned:.4f} >= shipped config {shipped:.4f} and >= fastText autotune {ft:.4f}: "
          f"{'met' if ok else 'NOT met'}")
print(f"goal: the same 6-trial search twice gives the same trials.jsonl (timings aside): "
      f"{'met' if sys.argv[2] == 'identical' else 'NOT met'} ({sys.argv[2]})")
PY
