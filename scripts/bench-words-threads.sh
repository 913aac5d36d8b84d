#!/usr/bin/env bash
# bench-words-threads.sh — the thread-count check of bench-words.sh: embtrain's skip-gram
# (configs/words.json, seed 1) on 1 and on 2 threads must give byte-identical model.pt and
# embeddings.pt; gensim's Word2Vec (sg=1, seed 1, 2 workers) is trained twice with the same seed
# to show how far its own vectors and WordSim-353 move between runs. Prints one line each.
# Usage: scripts/bench-words-threads.sh   (about 7 minutes; bench-words.sh calls it last)
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
work=$(mktemp -d /tmp/embtrain-bench-threads-XXXXXX)
trap 'rm -rf "$work"' EXIT
wordsim=$($py -c 'from gensim.test.utils import datapath; print(datapath("wordsim353.tsv"))')
spearman() { build/embtrain similarity "$1" "$wordsim" --json | $py -c 'import json,sys; print(round(json.load(sys.stdin)["spearman"], 4))'; }
for threads in 1 2; do
  echo "bench-words-threads: embtrain skipgram on $threads thread(s)" >&2
  build/embtrain train --config configs/words.json --output-dir "$work/threads-$threads" --force --quiet \
    --set train.threads="$threads"
done
if cmp -s "$work/threads-1/model.pt" "$work/threads-2/model.pt" &&
  cmp -s "$work/threads-1/embeddings.pt" "$work/threads-2/embeddings.pt"; then
  verdict="met: model.pt and embeddings.pt byte-identical"
else
  verdict="NOT met: the files differ"
fi
echo "threads 1 and 2, embtrain skipgram seed 1: $verdict (WordSim-353 $(spearman "$work/threads-1") and $(spearman "$work/threads-2"))"
for run in 1 2; do
  echo "bench-words-threads: gensim skipgram seed 1, run $run" >&2
  $py - "$work/gensim-$run.vec" <<'PY'
import sys
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
model = Word2Vec(LineSentence("data/words/train.txt"), vector_size=100, window=5, negative=5, min_count=5,
                 sample=1e-3, epochs=5, sg=1, workers=2, seed=1)
model.wv.save_word2vec_format(sys.argv[1])
PY
done
largest=$($py - "$work/gensim-1.vec" "$work/gensim-2.vec" <<'PY'
import sys
def read(path):
    with open(path, encoding="utf-8") as f:
        next(f)
        return {w: [float(x) for x in rest] for w, *rest in (line.rstrip("\n").split(" ") for line in f)}
a, b = read(sys.argv[1]), read(sys.argv[2])
print(max(abs(x - y) for w in a for x, y in zip(a[w], b[w])))
PY
)
echo "gensim skipgram seed 1, two runs on 2 workers: largest |difference| $largest (WordSim-353 $(spearman "$work/gensim-1.vec") and $(spearman "$work/gensim-2.vec"))"
