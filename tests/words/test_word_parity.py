#!/usr/bin/env python3
"""Word objectives (skipgram, cbow) against tests/parity/word_reference.py, bit for bit.

usage: test_word_parity.py EMBTRAIN_BINARY WORK_DIR

A small text with empty and one-word lines; each case trains embtrain and the Python reference
with the same keys and requires the input vectors before and after, and the output vectors, to
be equal (tolerance 0). Then: 1 and 2 threads give the same bytes; the run folder's commands
work (neighbors, similarity, export); and the bad inputs each give one clear error.
Ends with 'N passed, N failed'.
"""
import json
import os
import random
import re
import shutil
import subprocess
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from run_tables import tables  # noqa: E402

binary, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name)
    if not condition and detail:
        print(f"     {str(detail)[-1500:]}")


rng = random.Random(5)
groups = {"animal": ["cat", "dog", "horse", "cow", "goat"], "food": ["bread", "apple", "rice", "cheese"],
          "verb": ["eats", "likes", "wants", "sees"]}
text = os.path.join(work, "text.txt")
with open(text, "w", encoding="utf-8") as f:
    for i in range(400):
        words = ["the", rng.choice(groups["animal"]), rng.choice(groups["verb"]), "the", rng.choice(groups["food"])]
        if i % 7 == 0:
            words += ["and", "the", rng.choice(groups["animal"]), "rare" + str(i % 3)]
        f.write(" ".join(words) + "\n")
        if i % 50 == 0:
            f.write("\n" + "alone\n")

CASES = [
    ("skipgram, sgd, linear decay", {"objective": "skipgram"}, []),
    ("cbow, sgd, linear decay, shuffled, window 3", {"objective": "cbow", "window": 3, "shuffle": True}, []),
    ("skipgram, sparse_adam, constant lr, frequency order, min_count 2",
     {"objective": "skipgram", "optimizer": "sparse_adam", "lr": 0.01, "schedule": "constant",
      "order": "frequency", "min_count": 2}, []),
    ("cbow, no subsampling, 2 negatives, exponent 1", {"objective": "cbow", "sample": 0.0, "negative": 2,
                                                        "ns_exponent": 1.0}, []),
    # D = 100: ATen's bmm would call BLAS here; both sides keep its plain loop's order.
    ("skipgram, dim 100, sparse_adam", {"objective": "skipgram", "dim": 100, "optimizer": "sparse_adam", "lr": 0.01}, []),
    ("cbow, dim 100, sgd", {"objective": "cbow", "dim": 100}, []),
    # fastText's subwords: a word's input side is the mean of its row and its n-grams' buckets.
    ("skipgram with subwords, sparse_adam", {"objective": "skipgram", "subwords": True, "minn": 2, "maxn": 4,
                                             "buckets": 500, "optimizer": "sparse_adam", "lr": 0.01}, []),
    ("cbow with subwords, sgd", {"objective": "cbow", "subwords": True, "minn": 3, "maxn": 5, "buckets": 300}, []),
]
KEYS = {"objective": "model.objective", "dim": "model.embedding_dim", "window": "model.window", "negative": "model.negative",
        "ns_exponent": "model.ns_exponent", "sample": "vocab.sample", "min_count": "vocab.min_count",
        "order": "vocab.order", "optimizer": "train.optimizer", "lr": "train.lr", "schedule": "train.lr_schedule",
        "shuffle": "train.shuffle", "subwords": "vocab.subwords", "minn": "vocab.minn", "maxn": "vocab.maxn",
        "buckets": "vocab.buckets"}
DEFAULTS = {"dim": 8, "window": 5, "negative": 5, "ns_exponent": 0.75, "sample": 0.01, "min_count": 1, "order": "first_seen",
            "optimizer": "sgd", "lr": 0.025, "schedule": "linear", "shuffle": False, "subwords": False, "minn": 3,
            "maxn": 6, "buckets": 1000}


def train(out, case, extra=(), env=None):
    keys = dict(DEFAULTS, **case)
    args = [binary, "train", "--config", "configs/seed.json", "--output-dir", out, "--force", "--quiet",
            "--set", f"data.train={text}", "--set", "data.format=text",
            "--set", "train.epochs=4", "--set", "train.batch_size=16", "--set", "train.seed=7"]
    for key, value in keys.items():
        args += ["--set", f"{KEYS[key]}={str(value).lower() if isinstance(value, bool) else value}"]
    for s in extra:
        args += ["--set", s]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, **(env or {})))


def reference(out, case, env=None):
    keys = dict(DEFAULTS, **case)
    args = [sys.executable, os.path.join(ROOT, "tests", "parity", "word_reference.py"), text, out,
            "--epochs", "4", "--batch-size", "16", "--seed", "7"]
    for key, value in keys.items():
        flag = {"ns_exponent": "--ns-exponent", "min_count": "--min-count", "schedule": "--schedule"}.get(
            key, "--" + key.replace("_", "-"))
        if key in ("shuffle", "subwords"):
            args += ["--" + key] if value else []
        else:
            args += [flag, str(value)]
    subprocess.run(args, check=True, env=dict(os.environ, **(env or {})))
    return torch.load(out)


for n, (name, case, extra) in enumerate(CASES):
    run = os.path.join(work, f"case-{n}")
    done = train(run, case, extra)
    if done.returncode != 0:
        check(f"{name}: embtrain trains", False, done.stderr)
        continue
    ref = reference(os.path.join(work, f"ref-{n}.pt"), case)
    before, after = tables(run)
    output = torch.jit.load(f"{run}/model.pt").state_dict()["output.weight"]
    vocab = open(f"{run}/vocab.txt", encoding="utf-8").read().split("\n")[:-1]
    moved = (after - before).abs().max().item()
    check(f"{name}: vocabulary, input vectors before/after and output vectors equal PyTorch's bit for bit",
          vocab == ref["vocab"] and before.equal(ref["before"]) and after.equal(ref["after"])
          and output.equal(ref["output"]) and moved > 1e-3,
          f"before {(before - ref['before']).abs().max().item()}, after {(after - ref['after']).abs().max().item()}, "
          f"output {(output - ref['output']).abs().max().item()}, moved {moved}")

# SGD's sparse add rounds as ATen's axpy kernel for the CPU capability ATen runs: one fused
# multiply-add in the AVX2 and AVX512 kernels, a multiply and an add in the default one (which
# ATEN_CPU_CAPABILITY=default selects for embtrain and the reference alike).
for capability in ("default", "avx2"):
    env = {"ATEN_CPU_CAPABILITY": capability}
    case = {"objective": "skipgram", "dim": 100}
    run = os.path.join(work, f"capability-{capability}")
    done = train(run, case, env=env)
    ref = reference(os.path.join(work, f"ref-{capability}.pt"), case, env=env)
    if done.returncode != 0:
        check(f"skipgram, sgd, ATEN_CPU_CAPABILITY={capability}: embtrain trains", False, done.stderr)
        continue
    before, after = tables(run)
    output = torch.jit.load(f"{run}/model.pt").state_dict()["output.weight"]
    check(f"skipgram, dim 100, sgd, ATEN_CPU_CAPABILITY={capability}: input and output vectors equal PyTorch's bit for bit",
          after.equal(ref["after"]) and output.equal(ref["output"]),
          f"after {(after - ref['after']).abs().max().item()}, output {(output - ref['output']).abs().max().item()}")

# Threads: the same bytes on 1 and 2 threads (every kernel split, however small).
one, two = os.path.join(work, "threads-1"), os.path.join(work, "threads-2")
train(one, CASES[1][1], ["train.threads=1"])
train(two, CASES[1][1], ["train.threads=2"], env={"EMBTRAIN_TEST_SPLIT": "1"})
check("cbow on 1 and 2 threads: model.pt and embeddings.pt byte-identical",
      all(open(f"{one}/{f}", "rb").read() == open(f"{two}/{f}", "rb").read() for f in ("model.pt", "embeddings.pt")))
subword_case = next(case for name, case, _ in CASES if case.get("subwords") and case["objective"] == "skipgram")
train(one, subword_case, ["train.threads=1"])
train(two, subword_case, ["train.threads=3"], env={"EMBTRAIN_TEST_SPLIT": "1"})
check("skipgram with subwords on 1 and 3 threads: model.pt and embeddings.pt byte-identical",
      all(open(f"{one}/{f}", "rb").read() == open(f"{two}/{f}", "rb").read() for f in ("model.pt", "embeddings.pt")))

# On a terminal a word run shows the progress line (drawn at its first step whatever the
# machine's speed), and clears it before each epoch's line.
def on_terminal(args):
    """stderr of `args` run with stderr on a pseudo-terminal (stdout is a pipe)."""
    main, secondary = os.openpty()
    done = subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the terminal's other end has closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return done.returncode, b"".join(chunks).decode("utf-8", "replace")


code, shown = on_terminal([binary, "train", "--config", "configs/seed.json", "--output-dir", os.path.join(work, "tty"),
                           "--force", "--set", f"data.train={text}", "--set", "data.format=text", "--set",
                           "model.objective=skipgram", "--set", "train.optimizer=sgd", "--set", "train.epochs=2",
                           "--set", "train.batch_size=16"])
check("on a terminal a word run shows its progress line and clears it before each epoch's line",
      code == 0 and "\r\x1b[Kepoch 1/2  loss " in shown and " centre words/s  ETA " in shown
      # spdlog colours the level where $TERM names a colour terminal
      and re.search("\r\x1b\\[K(\x1b\\[32m)?info(\x1b\\[m)?: epoch 1/2: train loss", shown), repr(shown[-800:]))

# The run folder works with the commands that read runs.
run = os.path.join(work, "case-0")
near = subprocess.run([binary, "neighbors", run, "cat", "-k", "3"], capture_output=True, text=True)
check("neighbors on a word run", near.returncode == 0 and "cat (after)" in near.stdout, near.stderr)
predicted = subprocess.run([binary, "predict", run, "the cat eats"], capture_output=True, text=True)
evaluated = subprocess.run([binary, "eval", run, "--data", text], capture_output=True, text=True)
check("predict and eval on a word run: exit 2 saying it learned word vectors, not labels",
      predicted.returncode == 2 and evaluated.returncode == 2 and "learned word vectors" in predicted.stderr
      and "learned word vectors" in evaluated.stderr, predicted.stderr + evaluated.stderr)
pairs = os.path.join(work, "pairs.tsv")
with open(pairs, "w") as f:
    f.write("cat\tdog\t9\ncat\tbread\t1\nrice\tbread\t8\ndog\teats\t2\nnever\tseen\t5\n")
score = subprocess.run([binary, "similarity", run, pairs, "--json"], capture_output=True, text=True)
check("similarity on a word run: 4 pairs scored, 1 out of vocabulary",
      score.returncode == 0 and '"pairs":4' in score.stdout and '"oov":1' in score.stdout, score.stderr)
subword_run = os.path.join(work, f"case-{next(n for n, (_, case, _) in enumerate(CASES) if case.get('subwords'))}")
score = subprocess.run([binary, "similarity", subword_run, pairs, "--json"], capture_output=True, text=True)
near = subprocess.run([binary, "neighbors", subword_run, "cat", "-k", "3"], capture_output=True, text=True)
check("similarity and neighbors on a subword run read its word vectors",
      score.returncode == 0 and '"pairs":4' in score.stdout and near.returncode == 0 and "cat (after)" in near.stdout,
      score.stderr + near.stderr)


def ngram_rows(word, words, minn, maxn, buckets):
    """fastText's n-gram rows of word (FNV-1a over UTF-8 bytes, each sign-extended), in its order."""
    def fasttext_hash(text):
        h = 2166136261
        for byte in text.encode("utf-8"):
            h = ((h ^ ((byte - 256 if byte > 127 else byte) & 0xFFFFFFFF)) * 16777619) & 0xFFFFFFFF
        return h
    w = "<" + word + ">"
    return [words + fasttext_hash(w[i:i + n]) % buckets for i in range(len(w)) for n in range(minn, maxn + 1)
            if i + n <= len(w) and not (n == 1 and (i == 0 or i + n == len(w)))]


# A word outside a subword run's vocabulary: the neighbours of the mean of its n-grams' trained
# rows, worked out here from model.pt (the case's minn 2, maxn 4, 500 buckets).
subword_case = next(case for _, case, _ in CASES if case.get("subwords"))
sub_vocab = open(f"{subword_run}/vocab.txt", encoding="utf-8").read().split("\n")[:-1]
table = torch.jit.load(f"{subword_run}/model.pt").state_dict()["embedding.weight"]
query = table[ngram_rows("cats", len(sub_vocab), subword_case["minn"], subword_case["maxn"], subword_case["buckets"])].mean(0)
_, sub_after = tables(subword_run)
cosines = (sub_after.double() @ query.double()) / (sub_after.double().norm(dim=1) * query.double().norm())
expected = [(sub_vocab[i], cosines[i].item()) for i in cosines.argsort(descending=True)[:3].tolist()]
near = subprocess.run([binary, "neighbors", subword_run, "cats", "-k", "3", "--json"], capture_output=True, text=True)
got = json.loads(near.stdout)["neighbors"]["cats"] if near.returncode == 0 else []
before_oov = subprocess.run([binary, "neighbors", subword_run, "cats", "--when", "before"], capture_output=True, text=True)
plain_oov = subprocess.run([binary, "neighbors", os.path.join(work, "case-0"), "cats"], capture_output=True, text=True)
check("neighbors of 'cats' (not in a subword run's vocabulary): the mean of its n-gram rows, as worked out from "
      "model.pt (same 3 words, cosines within 1e-5); --when before and a run without subwords: exit 2",
      "cats" not in sub_vocab and [t for t, _ in got] == [t for t, _ in expected]
      and all(abs(c - e) < 1e-5 for (_, c), (_, e) in zip(got, expected))
      and "cats" in json.loads(near.stdout)["from_ngrams"] and before_oov.returncode == 2
      and "--when after" in before_oov.stderr and plain_oov.returncode == 2 and "not in the vocabulary" in plain_oov.stderr,
      f"{got} vs {expected}; {near.stderr}{before_oov.stderr}{plain_oov.stderr}")
valid = train(os.path.join(work, "valid"), CASES[0][1], [f"data.valid={pairs}"])
metrics = open(os.path.join(work, "valid", "metrics.jsonl")).read() if valid.returncode == 0 else ""
check("data.valid as a pairs file: its Spearman is in every epoch's metrics",
      valid.returncode == 0 and metrics.count('"spearman"') == 4, valid.stderr)
last_valid = json.loads(metrics.strip().split("\n")[-1])["valid"] if valid.returncode == 0 else {}
shown = subprocess.run([binary, "inspect", os.path.join(work, "valid")], capture_output=True, text=True)
check("inspect of a word run shows its loss and its valid Spearman (no accuracy, which a word run has not)",
      shown.returncode == 0 and f"Final valid: Spearman {last_valid.get('spearman', 0):.4f} (4 pairs)" in shown.stdout
      and "accuracy" not in shown.stdout, shown.stdout[:600] + shown.stderr)
# train.early_stopping=spearman (patience 1, constant lr): the run stops at the first epoch
# whose valid Spearman is not better than the best, and keeps the best epoch's tables, which are
# then those of a run of just that many epochs.
early_dir, short_dir = os.path.join(work, "early"), os.path.join(work, "early-short")
early = train(early_dir, CASES[2][1], [f"data.valid={pairs}", "train.early_stopping=spearman", "train.patience=1",
                                       "train.epochs=8", "train.lr=0.05"])
if early.returncode == 0:
    scores = [json.loads(line)["valid"]["spearman"] for line in open(os.path.join(early_dir, "metrics.jsonl"))]
    stopping = json.load(open(os.path.join(early_dir, "report.json")))["early_stopping"]
    best = stopping["best_epoch"]
    rule = (all(scores[i] > scores[i - 1] for i in range(1, best)) and stopping["epochs_run"] == len(scores)
            and (len(scores) == 8 if len(scores) == best else len(scores) == best + 1 and scores[-1] <= scores[best - 1]))
    train(short_dir, CASES[2][1], [f"train.epochs={best}", "train.lr=0.05"])
    kept = tables(early_dir)[1].equal(tables(short_dir)[1])
    check("early stopping on valid Spearman: stops by the patience rule and keeps the best epoch's tables "
          "(those of a run of that many epochs)", rule and kept, f"scores {scores}, {stopping}, kept {kept}")
else:
    check("early stopping on valid Spearman trains", False, early.stderr)
report = open(os.path.join(run, "report.json")).read()
check("report.json says how each row was used (centre, context, negative)",
      '"as_negative"' in report and "a centre word" in report)

# Bad input: one clear error each.
BAD = [
    ("every word below min_count", CASES[0][1], ["vocab.min_count=100000"], "min_count"),
    ("labels given to skipgram", CASES[0][1], ["data.label_names=[\"a\",\"b\"]"], "data.label_names"),
    ("raw text with the classify objective", {"objective": "classify"}, [], "data.format 'text'"),
    ("dense adam for a word run", CASES[0][1], ["train.optimizer=adam"], "adam"),
    ("early stopping on accuracy for a word run", CASES[0][1], ["train.early_stopping=accuracy", "data.valid=x"],
     "use spearman"),
    ("early stopping on spearman for classify", {"objective": "classify"},
     ["data.format=tsv", "train.early_stopping=spearman", "data.valid=x"], "does not learn"),
]
for name, case, extra, expect in BAD:
    done = train(os.path.join(work, "bad"), case, extra)
    check(f"bad input, {name}: exit 2 saying '{expect}'", done.returncode == 2 and expect in done.stderr, done.stderr)
# Interrupted and resumed: SIGTERM mid-epoch writes checkpoint.pt; --resume (here on another
# thread count) gives the bytes of the run that was never interrupted, and metrics equal but
# for timings. A SIGKILL right after a train.checkpoint_every checkpoint resumes the same way.
def without_timings(path):
    lines = [json.loads(line) for line in open(path)]
    for line in lines:
        line.pop("seconds", None)
        for key in ("pairs_per_s", "words_per_s"):
            line["train"].pop(key, None)
    return lines


def same_run(a, b):
    return (all(open(f"{a}/{f}", "rb").read() == open(f"{b}/{f}", "rb").read() for f in ("model.pt", "embeddings.pt"))
            and without_timings(f"{a}/metrics.jsonl") == without_timings(f"{b}/metrics.jsonl"))


case = CASES[2][1]
whole, stopped, killed = (os.path.join(work, name) for name in ("whole", "stopped", "killed"))
for name in os.listdir(work):  # fresh folders: a run left from an earlier test would be replaced instead
    if name.split(".")[0] in ("whole", "stopped", "killed", "changed"):
        shutil.rmtree(os.path.join(work, name))
train(whole, case)
stop = train(stopped, case, env={"EMBTRAIN_TEST_SIGNAL_AT": "2:5:15"})
state = json.load(open(os.path.join(stopped, "state.json"))) if stop.returncode == 143 else {}
resumed = subprocess.run([binary, "train", "--resume", stopped, "--quiet", "--set", "train.threads=2"], cwd=ROOT,
                         capture_output=True, text=True, env=dict(os.environ, EMBTRAIN_TEST_SPLIT="1"))
check("a word run stopped by SIGTERM at epoch 2, step 5 says it is resumable; --resume on 2 threads equals the "
      "uninterrupted run (model.pt, embeddings.pt, metrics but timings) and drops checkpoint.pt",
      stop.returncode == 143 and state.get("resumable") and state.get("at") == {"epoch": 2, "step": 6}
      and "--resume" in stop.stderr and resumed.returncode == 0 and same_run(whole, stopped)
      and not os.path.exists(os.path.join(stopped, "checkpoint.pt")), stop.stderr + resumed.stderr)
kill = train(killed, case, ["train.checkpoint_every=1"], env={"EMBTRAIN_TEST_KILL_AT": "checkpoint.pt:2:after"})
again = subprocess.run([binary, "train", "--resume", killed, "--quiet"], cwd=ROOT, capture_output=True, text=True)
check("SIGKILL after the epoch-2 checkpoint (train.checkpoint_every=1): --resume equals the uninterrupted run",
      kill.returncode == -9 and again.returncode == 0 and same_run(whole, killed), kill.stderr + again.stderr)
finished = subprocess.run([binary, "train", "--resume", whole], cwd=ROOT, capture_output=True, text=True)
check("--resume of a finished word run: exit 2 saying it has no checkpoint.pt",
      finished.returncode == 2 and "no checkpoint.pt" in finished.stderr, finished.stderr)
# A finished run with train.checkpoint_every keeps its final checkpoint: --resume with a larger
# train.epochs extends it (constant lr: the same bytes as a run of that many epochs from the start).
short = os.path.join(work, "short")
shutil.rmtree(short, ignore_errors=True)
first = train(short, case, ["train.epochs=2", "train.checkpoint_every=1"])
same_epochs = subprocess.run([binary, "train", "--resume", short, "--quiet", "--set", "train.epochs=2"], cwd=ROOT,
                             capture_output=True, text=True)
extended = subprocess.run([binary, "train", "--resume", short, "--quiet", "--set", "train.epochs=4"], cwd=ROOT,
                          capture_output=True, text=True)
short_state = json.load(open(os.path.join(short, "state.json"))) if extended.returncode == 0 else {}
check("a finished word run with train.checkpoint_every: --resume at 2 epochs says it finished them (exit 2); "
      "--set train.epochs=4 extends it to the bytes of a 4-epoch run, state 'extended_from' 2",
      first.returncode == 0 and same_epochs.returncode == 2 and "already finished all 2 epochs" in same_epochs.stderr
      and extended.returncode == 0 and same_run(whole, short) and short_state.get("extended_from") == 2
      and short_state.get("epochs_completed") == 4, first.stderr + same_epochs.stderr + extended.stderr)
changed_dir = os.path.join(work, "changed")
train(changed_dir, case, env={"EMBTRAIN_TEST_SIGNAL_AT": "1:3:15"})
changed = subprocess.run([binary, "train", "--resume", changed_dir, "--set", "train.lr=0.5"], cwd=ROOT,
                         capture_output=True, text=True)
check("--resume with a changed train.lr: exit 2 naming it", changed.returncode == 2 and "train.lr" in changed.stderr,
      changed.stderr)

# A replacement that diverges leaves the run it replaces as it was, and nothing beside it.
kept_dir = os.path.join(work, "kept")
train(kept_dir, CASES[0][1])
kept_before = open(os.path.join(kept_dir, "model.pt"), "rb").read()
diverged = train(kept_dir, CASES[0][1], ["train.lr=1000"])
check("a word run that diverges with --force: exit 1 naming train.lr, the old run kept, no folder left beside it",
      diverged.returncode == 1 and "train.lr" in diverged.stderr
      and open(os.path.join(kept_dir, "model.pt"), "rb").read() == kept_before
      and not any(name.startswith("kept.") for name in os.listdir(work)), diverged.stderr)
small = os.path.join(work, "small.txt")
with open(small, "w") as f:
    f.write("a b\n\nc\n")
done = subprocess.run([binary, "train", "--config", "configs/seed.json", "--output-dir", os.path.join(work, "small"),
                       "--force", "--quiet", "--set", f"data.train={small}", "--set", "data.format=text",
                       "--set", "model.objective=skipgram", "--set", "train.optimizer=sgd", "--set", "model.window=10",
                       "--set", "train.epochs=2"], cwd=ROOT, capture_output=True, text=True)
check("a vocabulary smaller than the window trains", done.returncode == 0, done.stderr)

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
