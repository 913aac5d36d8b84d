#!/usr/bin/env bash
# bench-memory.sh — memory per token: embtrain and fastText on 1, 10 and 100 shuffled copies of
# the SpamAssassin training set (scripts/fetch-spam.sh), side by side.
#
# Each size trains one epoch (64 dims, 2 threads) with:
#   - embtrain, the vocabulary fixed to the one-copy run's (so the table, the optimizer state
#     and the report are the same size at every scale and the slope is the corpus's alone);
#   - embtrain again with data.cache: the first run encodes and writes the cache, the second
#     maps it ("cached");
#   - fastText supervised, -epoch 1 -dim 64 (it streams its file: its memory is the model's).
# Prints wall time and peak RSS (/usr/bin/time), then bytes per token between sizes:
# (RSS(10) - RSS(1)) / (tokens(10) - tokens(1)) and the same from 10 to 100.
# With BENCH_MEMORY_LIMIT_MIB=N (root, a writable cgroup memory controller, v1 or v2), the
# largest size also trains inside a cgroup limited to N MiB, in file order (train.shuffle=false:
# with shuffling, rows that do not fit are read back at random and it thrashes): without a
# cache (rows in anonymous memory), writing data.cache (rows in a file there), and mapping it.
# Usage: scripts/bench-memory.sh [COPIES...]   (default: 1 10 100; 100 copies = 1 GB of text)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f data/spam/train.txt ]] || { echo "bench-memory: run scripts/fetch-spam.sh first" >&2; exit 1; }
copies=("${@:-1 10 100}")
# shellcheck disable=SC2206
copies=(${copies[*]})
work=$(mktemp -d "${TMPDIR:-/tmp}/embtrain-bench-memory.XXXXXX")
trap 'rm -rf "$work"' EXIT
results="$work/results"

measure() {  # NAME COPIES COMMAND...
  local name=$1 n=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    echo "bench-memory: $name failed:" >&2; cat "$work/stderr" >&2; exit 1; }
  read -r seconds kib <"$work/time"
  printf '%s\t%s\t%s\t%s\n' "$name" "$n" "$seconds" "$kib" >>"$results"
}

# limited COPIES: the runs in a cgroup of BENCH_MEMORY_LIMIT_MIB; an OOM kill is recorded as such.
limited() {
  local n=$1 group bytes=$((BENCH_MEMORY_LIMIT_MIB * 1024 * 1024)) name
  if [[ -d /sys/fs/cgroup/memory ]]; then
    group=/sys/fs/cgroup/memory/embtrain-bench-$$
    mkdir "$group" && echo "$bytes" >"$group/memory.limit_in_bytes"
  else
    group=/sys/fs/cgroup/embtrain-bench-$$
    mkdir "$group" && echo "$bytes" >"$group/memory.max"
  fi
  local common=(--config configs/spam.json --force --quiet --set "data.train=$work/train.txt"
                --set "vocab.file=$work/vocab.txt" --set train.epochs=1 --set train.threads=2
                --set train.shuffle=false --output-dir "$work/run")
  rm -rf "$work/cache"
  for name in "no cache" "writing data.cache" "mapping data.cache"; do
    local extra=()
    [[ "$name" == "no cache" ]] || extra=(--set "data.cache=$work/cache")
    if /usr/bin/time -f "%e %M" -o "$work/time" bash -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$group" \
        build/embtrain train "${common[@]}" "${extra[@]}" >/dev/null 2>"$work/stderr"; then
      read -r seconds kib <"$work/time"
      echo "limit ${BENCH_MEMORY_LIMIT_MIB} MiB, $n copies, file order, $name: $seconds s, completed" >>"$work/limited"
    else
      echo "limit ${BENCH_MEMORY_LIMIT_MIB} MiB, $n copies, file order, $name: killed or failed ($(tail -c 200 "$work/stderr" | tr '\n' ' '))" >>"$work/limited"
    fi
  done
  rmdir "$group" 2>/dev/null || true
}

build/embtrain train --config configs/spam.json --output-dir "$work/vocab-run" --force --quiet \
  --set train.epochs=1 >/dev/null
cp "$work/vocab-run/vocab.txt" "$work/vocab.txt"
for n in "${copies[@]}"; do
  echo "bench-memory: $n copies" >&2
  for ((i = 0; i < n; i++)); do cat data/spam/train.txt; done | shuf --random-source=<(yes) >"$work/train.txt"
  tokens=$(wc -w <"$work/train.txt")
  echo "$n $tokens" >>"$work/tokens"
  common=(--config configs/spam.json --force --quiet --set "data.train=$work/train.txt"
          --set "vocab.file=$work/vocab.txt" --set train.epochs=1 --set train.threads=2)
  measure "embtrain" "$n" build/embtrain train "${common[@]}" --output-dir "$work/run"
  rm -rf "$work/cache"
  measure "embtrain, writing data.cache" "$n" build/embtrain train "${common[@]}" --output-dir "$work/run" \
    --set "data.cache=$work/cache"
  measure "embtrain, mapping data.cache" "$n" build/embtrain train "${common[@]}" --output-dir "$work/run" \
    --set "data.cache=$work/cache"
  measure "fastText" "$n" fasttext supervised -input "$work/train.txt" -output "$work/ft" -dim 64 -epoch 1 \
    -lr 0.5 -thread 2 -verbose 0
  if [[ -n "${BENCH_MEMORY_LIMIT_MIB:-}" && "$n" == "${copies[-1]}" ]]; then limited "$n"; fi
  rm -f "$work/train.txt" "$work/ft.bin" "$work/ft.vec"
done

python3 - "$results" "$work/tokens" <<'PY'
import collections, sys
tokens = dict(tuple(map(int, line.split())) for line in open(sys.argv[2]))
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, n, seconds, kib = line.rstrip("\n").split("\t")
    rows.setdefault(name, {})[int(n)] = (float(seconds), int(kib))
sizes = sorted(tokens)
print("| run | " + " | ".join(f"{n} cop{'y' if n == 1 else 'ies'} ({tokens[n] / 1e6:.1f} M tokens)" for n in sizes)
      + " | bytes/token " + ", ".join(f"{a}->{b}" for a, b in zip(sizes, sizes[1:])) + " |")
print("|---|" + "---:|" * (len(sizes) + 1))
for name, by_size in rows.items():
    cells = [f"{by_size[n][0]:.2f} s, {by_size[n][1] / 1024:.0f} MiB" for n in sizes]
    slopes = [f"{(by_size[b][1] - by_size[a][1]) * 1024 / (tokens[b] - tokens[a]):.2f}"
              for a, b in zip(sizes, sizes[1:])]
    print(f"| {name} | " + " | ".join(cells) + " | " + ", ".join(slopes) + " |")
PY
[[ -f "$work/limited" ]] && cat "$work/limited"
exit 0
