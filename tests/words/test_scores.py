#!/usr/bin/env python3
"""`embtrain similarity` and `embtrain analogy` against gensim 4.4 on the same vectors.

usage: test_scores.py EMBTRAIN_BINARY WORK_DIR

The vectors are made here, seeded: a random vector for every word of WordSim-353, SimLex-999
and the analogy questions (from the gensim in .venv, found at run time), 10% of the words left
out (so pairs and questions are skipped as out of vocabulary), case variants after the
lower-case word (the first row of a folded word counts), and one analogy section planted
(country = capital + a shared offset + noise) so that accuracy is far from 0. gensim's
evaluate_word_pairs / evaluate_word_analogies and embtrain must give the same figures to 1e-4.
Then the bad inputs: one clear error each, naming file:line. Ends with 'N passed, N failed'.
"""
import json
import os
import random
import subprocess
import sys

import numpy as np
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

binary, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name)
    if not condition and detail:
        print(f"     {detail}")


def embtrain(*args):
    return subprocess.run([binary, *args], capture_output=True, text=True)


pairs_files = {name: datapath(name) for name in ("wordsim353.tsv", "simlex999.txt")}
questions = datapath("questions-words.txt")
words = []
for path in pairs_files.values():
    for line in open(path, encoding="utf-8"):
        if not line.startswith("#"):
            words += line.split("\t")[:2]
for line in open(questions, encoding="utf-8"):
    if not line.startswith(":"):
        words += line.split()
rng = random.Random(7)
vocab = sorted({w.lower() for w in words})
rng.shuffle(vocab)
vocab = [w for w in vocab if rng.random() > 0.1]
vocab += [w.capitalize() for w in vocab[:200]]  # case variants after their lower-case rows
np_rng = np.random.default_rng(7)
vectors = {w: np_rng.normal(size=32).astype(np.float32) for w in vocab}
offset = np_rng.normal(size=32).astype(np.float32) * 2
section = None
for line in open(questions, encoding="utf-8"):
    if line.startswith(":"):
        section = line.strip()
    elif section == ": capital-common-countries":
        capital, country = line.split()[:2]
        if capital.lower() in vectors and country.lower() in vectors:
            vectors[country.lower()] = vectors[capital.lower()] + offset + np_rng.normal(size=32).astype(np.float32) * 0.3
vec = os.path.join(work, "vectors.vec")
with open(vec, "w", encoding="utf-8") as f:
    f.write(f"{len(vocab)} 32\n")
    for w in vocab:
        f.write(w + " " + " ".join(repr(float(x)) for x in vectors[w]) + "\n")
kv = KeyedVectors.load_word2vec_format(vec, binary=False)

for name, path in pairs_files.items():
    pearson, spearman, oov = kv.evaluate_word_pairs(path)
    done = embtrain("similarity", vec, path, "--json")
    ours = json.loads(done.stdout) if done.returncode == 0 else {}
    check(f"similarity on {name}: Spearman, Pearson and the OOV share equal gensim's to 1e-4",
          done.returncode == 0 and abs(ours["spearman"] - spearman.statistic) < 1e-4
          and abs(ours["pearson"] - pearson.statistic) < 1e-4 and abs(ours["oov_percent"] - oov) < 1e-4
          and ours["oov"] > 0,
          f"embtrain {ours or done.stderr}, gensim spearman {spearman.statistic} pearson {pearson.statistic} oov {oov}")

score, sections = kv.evaluate_word_analogies(questions)
done = embtrain("analogy", vec, questions, "--json")
ours = json.loads(done.stdout) if done.returncode == 0 else {"sections": []}
theirs = {s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]}
mine = {s["section"]: (s["correct"], s["answered"]) for s in ours["sections"]}
check("analogy: total accuracy equals gensim's to 1e-4 (and the planted section is mostly right)",
      done.returncode == 0 and abs(ours["accuracy"] - score) < 1e-4
      and theirs.get("capital-common-countries", (0, 1))[0] > 0.5 * theirs.get("capital-common-countries", (0, 1))[1],
      f"embtrain {ours.get('accuracy')}, gensim {score}")
check("analogy: every section's correct and answered counts equal gensim's", mine == theirs,
      {k: (mine.get(k), theirs.get(k)) for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)})
text = embtrain("analogy", vec, questions)
check("analogy prints a table with a total line", text.returncode == 0 and "\ntotal " in text.stdout, text.stderr)

# Bad input: one clear error each.
bad_pairs = os.path.join(work, "bad-pairs.tsv")
with open(bad_pairs, "w", encoding="utf-8") as f:
    f.write("# comment\nking\tqueen\t8.5\nking queen 8.5\n")
done = embtrain("similarity", vec, bad_pairs)
check("a pairs line that is not word<TAB>word<TAB>score: exit 2 naming file:line",
      done.returncode == 2 and f"{bad_pairs}:3" in done.stderr, done.stderr)
bad_questions = os.path.join(work, "bad-questions.txt")
with open(bad_questions, "w", encoding="utf-8") as f:
    f.write("athens greece baghdad iraq\n")
done = embtrain("analogy", vec, bad_questions)
check("a question before any ': section' line: exit 2 naming file:line",
      done.returncode == 2 and f"{bad_questions}:1" in done.stderr and "section" in done.stderr, done.stderr)
unknown = os.path.join(work, "unknown-pairs.tsv")
with open(unknown, "w", encoding="utf-8") as f:
    f.write("zzzq\tqqqz\t1.0\n")
done = embtrain("similarity", vec, unknown)
check("no pair in vocabulary: exit 2 saying so", done.returncode == 2 and "no pair" in done.stderr, done.stderr)
done = embtrain("similarity", os.path.join(work, "missing.vec"), unknown)
check("a vectors path that does not exist: exit 2 naming it", done.returncode == 2 and "missing.vec" in done.stderr,
      done.stderr)

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
