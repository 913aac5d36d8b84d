#!/usr/bin/env bash
# bench.sh — embtrain against its peers, measured side by side in one run.
#
#   1. SpamAssassin (scripts/fetch-spam.sh), train + test, 64-dim embeddings, 2 threads, seeds
#      1..5: embtrain (configs/spam.json), fastText 0.9.2 (supervised + test; dim 64, 10 epochs,
#      lr 0.5, with and without -wordNgrams 2); then the same model in Python PyTorch with
#      SparseAdam and with dense Adam (both with glibc malloc tuned), 10 epochs.
#   1b. State of the Union passages by party (scripts/fetch-sotu.sh, 8 labels), seeds 1..3:
#      embtrain (configs/sotu.json) against fastText with and without -wordNgrams 2, P@1.
#   1c. Workers: SpamAssassin with 1 process and with --nproc 2 (one intra-op thread each), at
#      train.batch_size 32 (the config's) and 256; wall time and the speed-up.
#   2. Vocabulary scale: the same 20k sentences with a 10k-row and a 1M-row vocabulary file.
#   2b. Threads: the spam run and the 1M-row run with train.threads 1 and 2: wall, training
#      phase (metrics.jsonl's epoch seconds), the speed-up, and the largest |difference| of the
#      trained tables between thread counts (must be 0), beside fastText with 2 threads.
#   3. The article's run (configs/seed.json) against the article's Python code.
#   4. Start-up: a command that loads LibTorch and does almost nothing (--version, predict).
# Runs alternate between tools, BENCH_RUNS times each (default 3); the table gives medians
# of wall time and peak RSS (/usr/bin/time), test accuracy, and ratios against embtrain.
# Usage: scripts/bench.sh [BENCH_RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-${BENCH_RUNS:-3}}
./scripts/deps.sh fasttext time >/dev/null
./scripts/build.sh >/dev/null
./scripts/fetch-spam.sh
./scripts/fetch-sotu.sh
work=$(mktemp -d /tmp/embtrain-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
py=.venv/bin/python
export work py
results=$work/results.tsv
: >"$results"

# measure NAME COMMAND...: one timed run; appends "name<TAB>seconds<TAB>kib<TAB>accuracy" to $results,
# where the command's last stdout line is its accuracy (or empty).
measure() {
  local name=$1; shift
  local out
  # bash -c runs the shell functions below (exported) under /usr/bin/time.
  out=$(/usr/bin/time -f "%e %M" -o "$work/time" bash -c '"$@"' _ "$@" 2>"$work/stderr" | tail -n 1) || {
    echo "bench: $name failed:" >&2; cat "$work/stderr" >&2; exit 1; }
  read -r seconds kib <"$work/time"
  printf '%s\t%s\t%s\t%s\n' "$name" "$seconds" "$kib" "$out" >>"$results"
}

embtrain_spam() {  # $1 = seed, then any --set overrides
  build/embtrain train --config configs/spam.json --output-dir "$work/spam" --force --quiet \
    --set train.threads=2 --set train.seed="$1" "${@:2}" >/dev/null
  $py -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics"]["test"]["accuracy"])' "$work/spam/report.json"
}
fasttext_spam() {  # $1 = seed, $2 = word n-grams
  fasttext supervised -input data/spam/train.txt -output "$work/ft" -dim 64 -epoch 10 -lr 0.5 \
    -wordNgrams "$2" -seed "$1" -thread 2 -verbose 0 >/dev/null
  fasttext test "$work/ft.bin" data/spam/test.txt | awk '/^P@1/ {print $2}'
}
torch_spam() {  # $1 = sparse_adam | adam
  MALLOC_MMAP_THRESHOLD_=134217728 MALLOC_TRIM_THRESHOLD_=1073741824 $py scripts/bench_torch.py data/spam/train.txt data/spam/test.txt --optimizer "$1" \
    --threads 2 | $py -c 'import json,sys; print(json.loads(sys.stdin.read())["accuracy"])'
}
export -f embtrain_spam fasttext_spam torch_spam

# Accuracy over seeds 1..5 (each tool's own seed), alternating; the PyTorch runs $runs times.
echo "bench: SpamAssassin, seeds 1..5, alternating" >&2
for seed in 1 2 3 4 5; do
  measure "embtrain (sparse_adam)" embtrain_spam "$seed"
  measure "fastText" fasttext_spam "$seed" 1
  measure "fastText -wordNgrams 2" fasttext_spam "$seed" 2
done
for ((i = 0; i < runs; i++)); do
  # bench_torch.py's model: 10 epochs at lr 1e-3, PyTorch's N(0, 1) start, constant lr.
  measure "embtrain, bench_torch.py's settings" embtrain_spam 851 --set train.epochs=10 \
    --set train.lr=0.001 --set train.lr_schedule=constant --set model.init=normal
  measure "PyTorch SparseAdam" torch_spam sparse_adam
  measure "PyTorch dense Adam" torch_spam adam
done

# Multi-class: State of the Union passages by party (scripts/fetch-sotu.sh, 8 labels), seeds
# 1..3: embtrain (configs/sotu.json) against fastText (dim 64, 10 epochs, lr 0.5) without and
# with -wordNgrams 2; P@1 on the test addresses.
embtrain_sotu() {  # $1 = seed
  build/embtrain train --config configs/sotu.json --output-dir "$work/sotu" --force --quiet \
    --set train.threads=2 --set train.seed="$1" >/dev/null
  $py -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics"]["test"]["p_at_1"])' "$work/sotu/report.json"
}
fasttext_sotu() {  # $1 = seed, $2 = word n-grams
  fasttext supervised -input data/sotu/train.txt -output "$work/ft-sotu" -dim 64 -epoch 10 -lr 0.5 \
    -wordNgrams "$2" -seed "$1" -thread 2 -verbose 0 >/dev/null
  fasttext test "$work/ft-sotu.bin" data/sotu/test.txt | awk '/^P@1/ {print $2}'
}
export -f embtrain_sotu fasttext_sotu
echo "bench: State of the Union by party, seeds 1..3, alternating" >&2
for seed in 1 2 3; do
  measure "sotu: embtrain" embtrain_sotu "$seed"
  measure "sotu: fastText" fasttext_sotu "$seed" 1
  measure "sotu: fastText -wordNgrams 2" fasttext_sotu "$seed" 2
done

# Data-parallel workers on this machine: the same run (seed 851) in one process and in two, each
# with one intra-op thread; both give the same weights to ~1e-6 (tests/workers).
embtrain_workers() {  # $1 = workers, $2 = batch size
  build/embtrain train --config configs/spam.json --output-dir "$work/spam-workers" --force --quiet \
    --set train.threads=1 --set train.batch_size="$2" --nproc "$1" >/dev/null
  $py -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics"]["test"]["accuracy"])' "$work/spam-workers/report.json"
}
export -f embtrain_workers
echo "bench: workers" >&2
for ((i = 0; i < runs; i++)); do
  for batch in 32 256; do
    measure "workers: 1 process, batch $batch" embtrain_workers 1 "$batch"
    measure "workers: --nproc 2, batch $batch" embtrain_workers 2 "$batch"
  done
done

# Vocabulary scale: 20k sentences (40-token pieces of the spam training messages), one model,
# a vocabulary file of 10k rows and one of 1M rows (the 10k plus never-seen filler tokens).
echo "bench: vocabulary scale" >&2
$py - data/spam/train.txt "$work" <<'PY'
import collections, sys
source, work = sys.argv[1], sys.argv[2]
sentences, counts = [], collections.Counter()
for line in open(source, encoding="utf-8"):
    label, *words = line.split()
    for start in range(0, len(words), 40):
        piece = words[start:start + 40]
        sentences.append(("1" if label == "__label__1" else "0", piece))
        counts.update(piece)
        if len(sentences) == 20000: break
    if len(sentences) == 20000: break
with open(f"{work}/scale.tsv", "w", encoding="utf-8") as f:
    for label, words in sentences:
        f.write(label + "\t" + " ".join(words) + "\n")
common = ["<unk>"] + [w for w, _ in counts.most_common(9999)]
with open(f"{work}/vocab-10k.txt", "w", encoding="utf-8") as f:
    f.write("\n".join(common) + "\n")
with open(f"{work}/vocab-1m.txt", "w", encoding="utf-8") as f:
    f.write("\n".join(common + [f"<filler-{i}>" for i in range(1000000 - len(common))]) + "\n")
PY
embtrain_scale() {  # $1 = vocabulary file
  build/embtrain train --config configs/spam.json --output-dir "$work/scale" --force --quiet \
    --set data.train="$work/scale.tsv" --set data.test= --set data.format=tsv \
    --set vocab.file="$1" --set train.epochs=5 --set model.embedding_dim=32 >/dev/null
}
export -f embtrain_scale
for ((i = 0; i < runs; i++)); do
  measure "embtrain, 10k-row vocabulary" embtrain_scale "$work/vocab-10k.txt"
  measure "embtrain, 1M-row vocabulary" embtrain_scale "$work/vocab-1m.txt"
done

# Threads: each run's training phase is the sum of metrics.jsonl's epoch seconds; the trained
# tables of the two thread counts are compared in the summary below.
embtrain_threads() {  # $1 = spam | scale, $2 = threads
  local dir="$work/threads-$1-$2"
  if [ "$1" = spam ]; then
    build/embtrain train --config configs/spam.json --output-dir "$dir" --force --quiet \
      --set train.threads="$2" >/dev/null
  else
    build/embtrain train --config configs/spam.json --output-dir "$dir" --force --quiet \
      --set data.train="$work/scale.tsv" --set data.test= --set data.format=tsv \
      --set vocab.file="$work/vocab-1m.txt" --set train.epochs=2 --set model.embedding_dim=64 \
      --set train.threads="$2" >/dev/null
  fi
  $py -c 'import json,sys; print(sum(json.loads(l)["seconds"] for l in open(sys.argv[1])))' "$dir/metrics.jsonl"
}
export -f embtrain_threads
echo "bench: threads" >&2
for ((i = 0; i < runs; i++)); do
  for run in spam scale; do
    measure "threads: $run, 1 thread" embtrain_threads "$run" 1
    measure "threads: $run, 2 threads" embtrain_threads "$run" 2
  done
done
for run in spam scale; do
  $py - "$work/threads-$run-1" "$work/threads-$run-2" "$run" >>"$work/threads-diff.txt" <<'PY'
import sys, torch
a, b, name = sys.argv[1:]
ta = torch.jit.load(f"{a}/model.pt").state_dict()
tb = torch.jit.load(f"{b}/model.pt").state_dict()
moved_a = torch.load(f"{a}/embeddings.pt", weights_only=True)
moved_b = torch.load(f"{b}/embeddings.pt", weights_only=True)
worst = max([(ta[k] - tb[k]).abs().max().item() for k in ta] + [(moved_a["before"] - moved_b["before"]).abs().max().item()])
print(f"{name}\t{worst}")
PY
done

# The article's run: 10 sentences, 100 epochs, batch 1 (1,000 steps), whole process.
echo "bench: the article's run" >&2
for ((i = 0; i < runs; i++)); do
  measure "embtrain, article run" build/embtrain train --config configs/seed.json \
    --output-dir "$work/seed" --force --quiet
  measure "article's Python code" $py tests/parity/reference.py --train data/seed/train.tsv
done

# Start-up of a torch command: what every command that loads LibTorch pays before any work.
echo "bench: start-up" >&2
for ((i = 0; i < runs; i++)); do
  measure "embtrain --version (loads LibTorch)" build/embtrain --version
  measure "embtrain predict, one sentence" build/embtrain predict --run "$work/seed" "I am happy"
done

$py - "$results" "$work/threads-diff.txt" <<'PY'
import collections, statistics, sys
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, seconds, kib, accuracy = (line.rstrip("\n").split("\t") + [""])[:4]
    entry = rows.setdefault(name, {"s": [], "kib": [], "acc": []})
    entry["s"].append(float(seconds))
    entry["kib"].append(int(kib))
    if accuracy and accuracy.replace(".", "").isdigit():
        entry["acc"].append(float(accuracy))
def med(name, key):
    return statistics.median(rows[name][key])
baseline = {"embtrain (sparse_adam)": "embtrain (sparse_adam)", "fastText": "embtrain (sparse_adam)",
            "fastText -wordNgrams 2": "embtrain (sparse_adam)",
            "PyTorch SparseAdam": "embtrain, bench_torch.py's settings",
            "PyTorch dense Adam": "embtrain, bench_torch.py's settings",
            "sotu: fastText": "sotu: embtrain", "sotu: fastText -wordNgrams 2": "sotu: embtrain",
            "embtrain, 10k-row vocabulary": "embtrain, 10k-row vocabulary",
            "embtrain, 1M-row vocabulary": "embtrain, 10k-row vocabulary",
            "embtrain, article run": "embtrain, article run",
            "workers: --nproc 2, batch 32": "workers: 1 process, batch 32",
            "workers: --nproc 2, batch 256": "workers: 1 process, batch 256",
            "article's Python code": "embtrain, article run"}
print("| run | runs | wall s (median) | peak RSS MiB | test accuracy: mean (worst) | wall / embtrain | RSS / embtrain |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name in rows:
    if name.startswith("threads:"):
        continue  # their own table below
    base = baseline.get(name, name)
    s, kib = med(name, "s"), med(name, "kib")
    accs = rows[name]["acc"]
    acc = f"{statistics.mean(accs):.4f} ({min(accs):.4f})" if accs else "-"
    print(f"| {name} | {len(rows[name]['s'])} | {s:.2f} | {kib / 1024:.0f} | {acc} | {s / med(base, 's'):.2f} | {kib / med(base, 'kib'):.2f} |")
spam = rows["embtrain (sparse_adam)"]["acc"]
fast = max(med("fastText", "s"), 0) if "fastText" in rows else float("inf")
goal = statistics.mean(spam) >= 0.990 and min(spam) >= 0.985 and med("embtrain (sparse_adam)", "s") <= fast
print(f"\nSpamAssassin goal (mean >= 0.990, worst >= 0.985, wall <= fastText's): "
      f"{'met' if goal else 'NOT met'} (mean {statistics.mean(spam):.4f}, worst {min(spam):.4f}, "
      f"wall {med('embtrain (sparse_adam)', 's'):.2f} s vs {fast:.2f} s)")
sotu = rows["sotu: embtrain"]["acc"]
best = max(("sotu: fastText", "sotu: fastText -wordNgrams 2"), key=lambda n: statistics.mean(rows[n]["acc"]))
goal = statistics.mean(sotu) >= statistics.mean(rows[best]["acc"]) and med("sotu: embtrain", "s") <= med(best, "s")
print(f"Multi-class goal (P@1 >= the better fastText run, {best}, at no more of its wall time): "
      f"{'met' if goal else 'NOT met'} (P@1 {statistics.mean(sotu):.4f} vs {statistics.mean(rows[best]['acc']):.4f}, "
      f"wall {med('sotu: embtrain', 's'):.2f} s vs {med(best, 's'):.2f} s)")
for batch in (32, 256):
    one, two = f"workers: 1 process, batch {batch}", f"workers: --nproc 2, batch {batch}"
    print(f"Workers, batch {batch}: 2 workers take {med(two, 's') / med(one, 's'):.2f}x the wall time of 1 "
          f"(speed-up {med(one, 's') / med(two, 's'):.2f})")
tenk, onem = "embtrain, 10k-row vocabulary", "embtrain, 1M-row vocabulary"
print(f"Vocabulary scale goal (1M rows <= 1.5x 10k rows): {med(onem, 's') / med(tenk, 's'):.2f}x")
# The threads rows: the "accuracy" column of these holds the training phase's seconds.
diffs = dict(line.rstrip("\n").split("\t") for line in open(sys.argv[2]))
print("\n| threads run | wall 1 thread | wall 2 threads | whole-run speed-up | training 1 | training 2 | training speed-up | peak RSS MiB 1 / 2 | max abs difference |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for run in ("spam", "scale"):
    one, two = f"threads: {run}, 1 thread", f"threads: {run}, 2 threads"
    t1, t2 = statistics.median(rows[one]["acc"]), statistics.median(rows[two]["acc"])
    print(f"| {run} | {med(one, 's'):.2f} | {med(two, 's'):.2f} | {med(one, 's') / med(two, 's'):.2f} | {t1:.3f} | {t2:.3f} "
          f"| {t1 / t2:.2f} | {med(one, 'kib') / 1024:.0f} / {med(two, 'kib') / 1024:.0f} | {diffs[run]} |")
one, two = "threads: spam, 1 thread", "threads: spam, 2 threads"
t1, t2 = statistics.median(rows[one]["acc"]), statistics.median(rows[two]["acc"])
print(f"Threads goal, spam (training >= 1.8x, whole run >= 1.6x on 2 threads): "
      f"{'met' if t1 / t2 >= 1.8 and med(one, 's') / med(two, 's') >= 1.6 else 'NOT met'} "
      f"(training {t1 / t2:.2f}x, whole run {med(one, 's') / med(two, 's'):.2f}x)")
print(f"Threads goal, spam vs fastText 2 threads (whole run <= 0.25x): "
      f"{'met' if med(two, 's') <= 0.25 * med('fastText', 's') else 'NOT met'} ({med(two, 's') / med('fastText', 's'):.2f}x)")
print(f"Thread identity (max abs difference 1 vs 2 threads must be 0): "
      f"{'met' if all(float(v) == 0 for v in diffs.values()) else 'NOT met'} ({', '.join(f'{k} {v}' for k, v in diffs.items())})")
PY
