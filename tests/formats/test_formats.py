#!/usr/bin/python3
"""Export formats as other tools read them, and the .vec round trip.

usage: test_formats.py EMBTRAIN_BINARY WORK_DIR

- `.vec` parsed the way gensim's KeyedVectors.load_word2vec_format(binary=False) parses it
  (header "count dim", then token and floats split on whitespace), values equal to the run's
  embeddings.pt bit for bit;
- `word2vec-bin` parsed the way gensim's binary reader does (token up to a space, dim float32);
- `torch` export and embeddings.pt loaded with torch.load;
- `projector`: vectors.tsv / metadata.tsv / projector_config.json consistent;
- round trip: export --when before as .vec, train with model.pretrained = that file: same before.
Ends with 'N passed, N failed'.
"""
import json
import os
import struct
import subprocess
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
binary, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
results = []


def check(name, condition):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name)


def run(*args):
    return subprocess.run([binary, *args], check=True, capture_output=True, text=True, cwd=ROOT).stdout


run_dir = os.path.join(work, "run")
run("train", "--config", "configs/seed.json", "--output-dir", run_dir, "--force", "--quiet",
    "--set", "train.threads=1")
tensors = torch.load(os.path.join(run_dir, "embeddings.pt"))
vocab = open(os.path.join(run_dir, "vocab.txt"), encoding="utf-8").read().split("\n")[:-1]
after = tensors["after"]
check("embeddings.pt loads with torch.load into before/after [V, D]",
      tensors["before"].shape == after.shape == (len(vocab), 4))

# .vec as gensim reads it
vec = os.path.join(work, "after.vec")
run("export", "--run", run_dir, "--format", "vec", "--output", vec)
with open(vec, encoding="utf-8") as f:
    count, dim = map(int, f.readline().split())
    rows = {}
    for line in f:
        parts = line.rstrip().split(" ")
        rows[parts[0]] = [float(x) for x in parts[1:]]
check(".vec header and row count", count == len(vocab) == len(rows) and dim == 4)
check(".vec values equal embeddings.pt to the last bit",
      all(torch.tensor(rows[t], dtype=torch.float32).equal(after[i]) for i, t in enumerate(vocab)))

# word2vec binary as gensim reads it
binfile = os.path.join(work, "after.bin")
run("export", "--run", run_dir, "--format", "word2vec-bin", "--output", binfile)
with open(binfile, "rb") as f:
    count, dim = map(int, f.readline().split())
    ok = True
    for i in range(count):
        word = b""
        while True:
            c = f.read(1)
            if c == b" ":
                break
            if c != b"\n":
                word += c
        values = struct.unpack(f"<{dim}f", f.read(4 * dim))
        ok = ok and word.decode() == vocab[i] and torch.tensor(values).equal(after[i])
check("word2vec-bin parses and matches", ok and count == len(vocab))

# torch export
pt = os.path.join(work, "export.pt")
run("export", "--run", run_dir, "--format", "torch", "--output", pt, "--when", "before")
d = torch.load(pt)
check("torch export: vocab list and tensors", d["vocab"] == vocab and d["weights"].equal(tensors["before"])
      and d["after"].equal(after))

# projector
projector = os.path.join(work, "projector")
run("export", "--run", run_dir, "--format", "projector", "--output", projector)
config = json.load(open(os.path.join(projector, "projector_config.json")))
vectors = open(os.path.join(projector, "vectors.tsv")).read().split("\n")[:-1]
metadata = open(os.path.join(projector, "metadata.tsv")).read().split("\n")[:-1]
check("projector: 2V vectors, header + 2V metadata rows, config points at both",
      len(vectors) == 2 * len(vocab) and len(metadata) == 2 * len(vocab) + 1
      and metadata[0] == "token\twhen" and config["embeddings"][0]["tensorPath"] == "vectors.tsv"
      and len(vectors[0].split("\t")) == 4)

# round trip through model.pretrained
before_vec = os.path.join(work, "before.vec")
run("export", "--run", run_dir, "--format", "vec", "--output", before_vec, "--when", "before")
again = os.path.join(work, "again")
run("train", "--config", "configs/seed.json", "--output-dir", again, "--force", "--quiet",
    "--set", "train.threads=1", "--set", f"model.pretrained={before_vec}")
again_tensors = torch.load(os.path.join(again, "embeddings.pt"))
check("export .vec -> model.pretrained -> same before and after",
      again_tensors["before"].equal(tensors["before"]) and again_tensors["after"].equal(after))

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
