#!/usr/bin/env python3
"""Export formats as other tools read them, and the .vec round trip.

usage: test_formats.py EMBTRAIN_BINARY WORK_DIR

- `.vec` loaded with the real gensim (KeyedVectors.load_word2vec_format, binary=False), values
  equal to the run's embeddings.pt bit for bit;
- `word2vec-bin` loaded with gensim (binary=True), the same;
- `torch` export and embeddings.pt loaded with torch.load(weights_only=True), PyTorch 2.6's
  default: plain dicts, lists and tensors, nothing that needs trusting the file; embeddings.pt's
  format 2 holds the rows training could move and their initial values, model.pt the table;
- a vocabulary file larger than the data: embeddings.pt holds only the data's rows, and
  `export --when before` gives back the whole table as it was drawn;
- `projector`: vectors.tsv / metadata.tsv / projector_config.json consistent;
- round trip: export --when before as .vec, train with model.pretrained = that file: same before.
Ends with 'N passed, N failed'.
"""
import json
import os
import subprocess
import sys

import torch
from gensim.models import KeyedVectors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from run_tables import tables  # noqa: E402

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
moved = torch.load(os.path.join(run_dir, "embeddings.pt"), weights_only=True)
vocab = open(os.path.join(run_dir, "vocab.txt"), encoding="utf-8").read().split("\n")[:-1]
before, after = tables(run_dir)
tensors = {"before": before, "after": after}
check("embeddings.pt loads with torch.load(weights_only=True): format 2, every row of the data, [V, D] tables",
      moved["format_version"] == 2 and moved["rows"].tolist() == list(range(len(vocab)))
      and moved["before"].shape == (len(vocab), 4) and after.shape == (len(vocab), 4)
      and not before.equal(after))

def same_as_run(vectors):
    """gensim's KeyedVectors hold the run's vocabulary, in order, with the run's `after` bits."""
    return (list(vectors.index_to_key) == vocab and vectors.vector_size == 4
            and torch.from_numpy(vectors.vectors.copy()).equal(after))


# .vec and word2vec binary, as gensim reads them
vec = os.path.join(work, "after.vec")
run("export", "--run", run_dir, "--format", "vec", "--output", vec)
check("gensim loads .vec: every token, values equal embeddings.pt to the last bit",
      same_as_run(KeyedVectors.load_word2vec_format(vec, binary=False)))
binfile = os.path.join(work, "after.bin")
run("export", "--run", run_dir, "--format", "word2vec-bin", "--output", binfile)
check("gensim loads word2vec-bin: every token, values equal embeddings.pt to the last bit",
      same_as_run(KeyedVectors.load_word2vec_format(binfile, binary=True)))

# torch export
pt = os.path.join(work, "export.pt")
run("export", "--run", run_dir, "--format", "torch", "--output", pt, "--when", "before")
d = torch.load(pt, weights_only=True)
check("torch export: vocab list and tensors", d["vocab"] == vocab and d["weights"].equal(tensors["before"])
      and d["after"].equal(after) and d["when"] == "before")

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
again_before, again_after = tables(again)
check("export .vec -> model.pretrained -> same before and after",
      again_before.equal(tensors["before"]) and again_after.equal(after))

# A vocabulary file with 500 tokens the data never holds: embeddings.pt keeps the data's rows
# (and row 0) only; the other rows are model.pt's, untouched; export --when before is the draw.
wide_vocab = os.path.join(work, "wide-vocab.txt")
with open(wide_vocab, "w", encoding="utf-8") as f:
    f.write("\n".join(vocab + [f"unseen-{i}" for i in range(500)]) + "\n")
wide = os.path.join(work, "wide")
run("train", "--config", "configs/seed.json", "--output-dir", wide, "--force", "--quiet",
    "--set", "train.threads=1", "--set", f"vocab.file={wide_vocab}")
wide_moved = torch.load(os.path.join(wide, "embeddings.pt"), weights_only=True)
wide_before, wide_after = tables(wide)
torch.manual_seed(json.load(open(os.path.join(wide, "config.json")))["train"]["seed"])
drawn = torch.nn.Embedding(len(vocab) + 500, 4).weight.detach()
wide_pt = os.path.join(work, "wide.pt")
run("export", "--run", wide, "--format", "torch", "--output", wide_pt, "--when", "before")
check("a vocabulary larger than the data: embeddings.pt holds the data's rows, before = the draw",
      wide_moved["rows"].tolist() == list(range(len(vocab))) and wide_moved["before"].shape == (len(vocab), 4)
      and wide_after[len(vocab):].equal(drawn[len(vocab):]) and wide_before.equal(drawn)
      and torch.load(wide_pt, weights_only=True)["weights"].equal(drawn))

# The char tokenizer's tokens include a space and a backslash, and here also a literal U+2581:
# the escapes keep them apart (gensim sees three tokens), and export -> model.pretrained gives
# every row back.
chars_data = os.path.join(work, "chars.tsv")
with open(chars_data, "w", encoding="utf-8") as f:
    f.write("1\ta b\\c\u2581d\n0\tx\ty z\n")
chars = os.path.join(work, "chars")
run("train", "--config", "configs/char.json", "--output-dir", chars, "--force", "--quiet",
    "--set", f"data.train={chars_data}", "--set", "data.format=tsv", "--set", "train.epochs=2")
char_vocab = open(os.path.join(chars, "vocab.txt"), encoding="utf-8").read().split("\n")[:-1]
chars_vec = os.path.join(work, "chars.vec")
run("export", "--run", chars, "--format", "vec", "--output", chars_vec, "--when", "before")
from_gensim = KeyedVectors.load_word2vec_format(chars_vec, binary=False)
check("char tokens: space, tab, backslash and U+2581 stay distinct tokens in the export",
      {" ", "\t", "\\", "\u2581"} <= set(char_vocab)
      and len(set(from_gensim.index_to_key)) == len(char_vocab))
again_chars = os.path.join(work, "chars-again")
result = subprocess.run([binary, "train", "--config", "configs/char.json", "--output-dir", again_chars,
                         "--force", "--set", f"data.train={chars_data}", "--set", "data.format=tsv",
                         "--set", "train.epochs=2", "--set", f"model.pretrained={chars_vec}"],
                        capture_output=True, text=True, cwd=ROOT)
first, second = tables(chars)[0], tables(again_chars)[0]
check("char tokens: export .vec -> model.pretrained finds every token and gives the same before",
      result.returncode == 0 and "(0 not found" in result.stderr and second.equal(first))
if result.returncode != 0 or "(0 not found" not in result.stderr:
    print(result.stderr)

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
