#!/usr/bin/env bash
# bench-words.sh — word vectors side by side: embtrain skipgram (configs/words.json) and cbow
# (configs/words-cbow.json), and skip-gram with subwords (configs/words-subwords.json)
# against gensim 4.4 Word2Vec (sg=1 and sg=0) and, when installed, fastText's skipgram and cbow
# (-maxn 0), and embtrain's skip-gram with subwords against fastText's (-minn 3 -maxn 6, its
# defaults; BENCH_SUBWORDS=0 leaves them out), on scripts/fetch-words.sh's corpus with the same hyper-parameters (dim 100,
# window 5, negative 5, min count 5, sample 1e-3, 5 epochs, 2 threads each), over seeds 1..3.
# Each run is scored with `embtrain similarity` / `embtrain analogy` (gensim's semantics) on
# WordSim-353, SimLex-999 and the analogy questions from the gensim in .venv. Prints wall time,
# peak RSS, words/s per thread, the three scores (mean and spread over seeds), and each goal
# as met or not; then scripts/bench-words-threads.sh (threads 1 and 2). Usage:
# scripts/bench-words.sh [SEEDS]   (default "1 2 3"; about 35 min)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-1 2 3}
./scripts/deps.sh time >/dev/null
./scripts/build.sh >/dev/null
./scripts/fetch-words.sh
py=.venv/bin/python
sets=$($py -c 'from gensim.test.utils import datapath; print(datapath("wordsim353.tsv"), datapath("simlex999.txt"), datapath("questions-words.txt"))')
read -r wordsim simlex questions <<<"$sets"
work=$(mktemp -d /tmp/embtrain-bench-words-XXXXXX)
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv
: >"$results"
tokens=$(wc -w <data/words/train.txt)

# score NAME SEED VECTORS SECONDS KIB: appends one row of figures.
score() {
  local ws sl an
  ws=$(build/embtrain similarity "$3" "$wordsim" --json | $py -c 'import json,sys; print(json.load(sys.stdin)["spearman"])')
  sl=$(build/embtrain similarity "$3" "$simlex" --json | $py -c 'import json,sys; print(json.load(sys.stdin)["spearman"])')
  an=$(build/embtrain analogy "$3" "$questions" --json | $py -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$4" "$5" "$ws" "$sl" "$an" >>"$results"
}
timed() {  # timed COMMAND...: runs it under /usr/bin/time; sets $seconds and $kib
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  read -r seconds kib <"$work/time"
}
cat >"$work/run_gensim.py" <<'PY'
import sys
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
sg, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
model = Word2Vec(LineSentence("data/words/train.txt"), vector_size=100, window=5, negative=5, min_count=5,
                 sample=1e-3, epochs=5, sg=sg, workers=2, seed=seed)
model.wv.save_word2vec_format(out)
PY
for seed in $seeds; do
  for objective in skipgram cbow; do
    echo "bench-words: embtrain $objective, seed $seed" >&2
    config=configs/words.json
    [ "$objective" = cbow ] && config=configs/words-cbow.json
    timed build/embtrain train --config "$config" --output-dir "$work/run" --force --quiet --set train.seed="$seed"
    score "embtrain $objective" "$seed" "$work/run" "$seconds" "$kib"
    echo "bench-words: gensim $objective, seed $seed" >&2
    timed $py "$work/run_gensim.py" "$([ $objective = skipgram ] && echo 1 || echo 0)" "$seed" "$work/gensim.vec"
    score "gensim $objective" "$seed" "$work/gensim.vec" "$seconds" "$kib"
    if command -v fasttext >/dev/null; then
      echo "bench-words: fastText $objective, seed $seed" >&2
      timed fasttext "$objective" -input data/words/train.txt -output "$work/ft" -dim 100 -ws 5 -neg 5 -minCount 5 \
        -t 1e-3 -epoch 5 -maxn 0 -thread 2 -seed "$seed" -verbose 0
      score "fastText $objective" "$seed" "$work/ft.vec" "$seconds" "$kib"
    fi
  done
  if [ "${BENCH_SUBWORDS:-1}" = 1 ] && command -v fasttext >/dev/null; then
    # Subwords on both sides: fastText's defaults (-minn 3 -maxn 6 -bucket 2000000).
    echo "bench-words: embtrain skipgram with subwords, seed $seed" >&2
    timed build/embtrain train --config configs/words-subwords.json --output-dir "$work/run" --force --quiet \
      --set train.seed="$seed"
    score "embtrain skipgram subwords" "$seed" "$work/run" "$seconds" "$kib"
    echo "bench-words: fastText skipgram with subwords, seed $seed" >&2
    timed fasttext skipgram -input data/words/train.txt -output "$work/ft" -dim 100 -ws 5 -neg 5 -minCount 5 \
      -t 1e-3 -epoch 5 -minn 3 -maxn 6 -bucket 2000000 -thread 2 -seed "$seed" -verbose 0
    score "fastText skipgram subwords" "$seed" "$work/ft.vec" "$seconds" "$kib"
  fi
done
$py - "$results" "$tokens" <<'PY'
import collections, statistics, sys
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, seed, s, kib, ws, sl, an = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((float(s), int(kib), float(ws), float(sl), float(an)))
tokens = int(sys.argv[2])
def mean(name, i): return statistics.mean(r[i] for r in rows[name])
def spread(name, i): return max(r[i] for r in rows[name]) - min(r[i] for r in rows[name])
print("| run | seeds | wall s | peak RSS MiB | words/s per thread | WordSim-353 | SimLex-999 | analogy |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name in rows:
    print(f"| {name} | {len(rows[name])} | {mean(name, 0):.1f} | {mean(name, 1) / 1024:.0f} | "
          f"{tokens * 5 / mean(name, 0) / 2:.0f} | {mean(name, 2):.4f} ± {spread(name, 2) / 2:.4f} | "
          f"{mean(name, 3):.4f} ± {spread(name, 3) / 2:.4f} | {mean(name, 4):.4f} ± {spread(name, 4) / 2:.4f} |")
for objective in ("skipgram", "cbow", "skipgram subwords"):
    ours = f"embtrain {objective}"
    if ours not in rows:
        continue
    peers = [p for p in (f"gensim {objective}", f"fastText {objective}") if p in rows]
    if f"gensim {objective}" not in rows:  # subwords: fastText is the peer; gensim's rows are plain skip-gram's
        peers = [f"fastText {objective}"]
    best_ws = max(peers, key=lambda p: mean(p, 2)); best_sl = max(peers, key=lambda p: mean(p, 3))
    fastest = min(peers, key=lambda p: mean(p, 0))
    goals = [(f"WordSim-353 >= {best_ws}", mean(ours, 2) >= mean(best_ws, 2), f"{mean(ours, 2):.4f} vs {mean(best_ws, 2):.4f}"),
             (f"SimLex-999 >= {best_sl}", mean(ours, 3) >= mean(best_sl, 3), f"{mean(ours, 3):.4f} vs {mean(best_sl, 3):.4f}"),
             (f"wall <= 0.5x {fastest}", mean(ours, 0) <= 0.5 * mean(fastest, 0), f"{mean(ours, 0) / mean(fastest, 0):.2f}x")]
    gensim = f"gensim {objective}"
    if gensim in rows:
        goals += [("analogy >= gensim", mean(ours, 4) >= mean(gensim, 4), f"{mean(ours, 4):.4f} vs {mean(gensim, 4):.4f}"),
                  ("peak RSS <= gensim", mean(ours, 1) <= mean(gensim, 1), f"{mean(ours, 1) / mean(gensim, 1):.2f}x")]
    for goal, met, figure in goals:
        print(f"{objective}: {goal}: {'met' if met else 'NOT met'} ({figure})")
PY
# Threads 1 and 2: embtrain's bytes against gensim's two runs of one seed.
./scripts/bench-words-threads.sh
