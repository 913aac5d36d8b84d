#!/usr/bin/env python3
"""`embtrain tune`: a seeded search that repeats, resumes, prunes, and never looks at test data.

usage: test_tune.py EMBTRAIN_BINARY WORK_DIR

A small learnable TSV task (train/valid/test, made here, seeded). The same search run twice
gives the same trials.jsonl apart from timings; a search stopped at 6 trials and resumed to 12
gives the 12-trial search's trials.jsonl (also with --parallel 2); the median rule prunes at least one trial, at an
epoch before its last; no trial's run sees data.test, and the best config is scored on it once;
best.json trains as a config; a skipgram search scores Spearman on a pairs file and shares one
word corpus. Then the bad inputs, one clear error each.
Ends with 'N passed, N failed'.
"""
import json
import os
import random
import re
import shutil
import subprocess
import sys

binary, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name)
    if not condition and detail:
        print(f"     {str(detail)[-1500:]}")


rng = random.Random(3)
good, bad = ["good", "great", "fine", "happy", "nice"], ["bad", "awful", "sad", "poor", "ugly"]
filler = ["the", "a", "is", "was", "movie", "food", "day", "it"]
for split, n in (("train", 300), ("valid", 100), ("test", 100)):
    with open(os.path.join(work, f"{split}.tsv"), "w") as f:
        for _ in range(n):
            label = rng.random() < 0.5
            words = [rng.choice(filler) for _ in range(4)] + [rng.choice(good if label else bad)]
            if rng.random() < 0.15:
                words.append(rng.choice(bad if label else good))
            rng.shuffle(words)
            f.write(f"{int(label)}\t{' '.join(words)}\n")
config = os.path.join(work, "config.json")
with open(config, "w") as f:
    json.dump({"data": {"train": "train.tsv", "test": "test.tsv"},
               "model": {"pooling": "mean", "embedding_dim": 8, "final_relu": False},
               "train": {"epochs": 4, "batch_size": 16, "lr": 0.01, "optimizer": "sparse_adam", "threads": 1}}, f)
SEARCH = ["--search", "train.lr=loguniform(1e-3,1e-1)", "--search", "train.epochs=int(1,6)",
          "--search", "model.embedding_dim=choice(4,8,16)"]
VALID = ["--valid", os.path.join(work, "valid.tsv")]


def tune(out, *args, resume=False, keep_runs=True):
    base = [binary, "tune", "--quiet", "--json"] + (["--keep-runs"] if keep_runs else [])
    if not resume:
        base += ["--config", config, *VALID, *SEARCH, "--output-dir", out, "--force"]
    return subprocess.run(base + list(args), capture_output=True, text=True, timeout=600)


def trials(folder):
    return [re.sub(r'"seconds":[0-9.e+-]+', "", line) for line in open(os.path.join(folder, "trials.jsonl"))]


a, b = os.path.join(work, "a"), os.path.join(work, "b")
first, second = tune(a, "--trials", "12"), tune(b, "--trials", "12", keep_runs=False)
check("a 12-trial search exits 0 and prints its summary", first.returncode == 0 and '"trials":12' in first.stdout,
      first.stderr)
check("the same search twice: trials.jsonl identical apart from timings",
      second.returncode == 0 and trials(a) == trials(b) and len(trials(a)) == 12, second.stderr)
records = [json.loads(line) for line in open(os.path.join(a, "trials.jsonl"))]
second_best = json.loads(second.stdout)["best"]["trial"] if second.returncode == 0 else None
left = sorted(os.listdir(os.path.join(b, "trials")))
check("without --keep-runs only the best trial's run folder stays, beside every trial's log",
      left == sorted([f"{second_best:03d}"] + [f"{i:03d}.log" for i in range(12)])
      and os.path.exists(os.path.join(b, "trials", f"{second_best:03d}", "model.pt")), left)
pruned = [r for r in records if r["status"] == "pruned"]
check("the median rule pruned a trial at an epoch before its last",
      pruned and all(len(r["metric"]) < r["params"]["train.epochs"] for r in pruned), records)
check("the first 5 trials are never pruned (the rule needs 5 earlier trials at the epoch)",
      all(r["status"] == "complete" for r in records[:5]), records[:5])

page = open(os.path.join(a, "report.html"), encoding="utf-8").read() if os.path.exists(os.path.join(a, "report.html")) else ""
check("report.html: every trial in its table, a panel against time and one per searched key",
      page.count("<tr><td>") == 12 and 'id="by-time"' in page and page.count('<svg id="key-') == 3)

cache = os.path.join(a, "cache")
check("trials share one encoded corpus (DIR/cache): no searched key changes the vocabulary, so one file",
      os.path.isdir(cache) and len([f for f in os.listdir(cache) if f.startswith("corpus-")]) == 1,
      os.listdir(cache) if os.path.isdir(cache) else "no cache folder")

c = os.path.join(work, "c")
tune(c, "--trials", "6")
resumed = tune(None, "--resume", c, "--trials", "12", resume=True)
check("a search stopped at 6 trials and resumed to 12 equals the 12-trial search",
      resumed.returncode == 0 and trials(c) == trials(a), resumed.stderr)

# --parallel 2: waves of 2 trials, each drawn and pruned against earlier waves only.
p1, p2, p3 = os.path.join(work, "p1"), os.path.join(work, "p2"), os.path.join(work, "p3")
par1, par2 = tune(p1, "--trials", "10", "--parallel", "2"), tune(p2, "--trials", "10", "--parallel", "2")
check("--parallel 2 twice: trials.jsonl identical apart from timings",
      par1.returncode == 0 and par2.returncode == 0 and trials(p1) == trials(p2) and len(trials(p1)) == 10,
      par1.stderr + par2.stderr)
tune(p3, "--trials", "4", "--parallel", "2")
par3 = tune(None, "--resume", p3, "--trials", "10", resume=True)
check("--parallel 2 stopped at 4 trials and resumed to 10 equals the 10-trial search",
      par3.returncode == 0 and trials(p3) == trials(p1), par3.stderr)

summary = json.loads(first.stdout)
trial_configs = [json.load(open(os.path.join(a, "trials", f"{i:03d}", "config.json"))) for i in range(12)]
check("no trial's run sees data.test; each is scored on --valid",
      all(t["data"]["test"] == "" and t["data"]["valid"].endswith("valid.tsv") for t in trial_configs))
check("the best config is scored on data.test once, after the search (best/)",
      "test" in summary and os.path.exists(os.path.join(a, "best", "report.json")), summary)
# The best is the complete trial whose kept (last) epoch scores best; a pruned trial's best
# epoch, or a complete trial's earlier peak, is not a result: no config reproduces it.
kept = [r["metric"][-1] for r in records if r["status"] == "complete"]
best_record = records[summary["best"]["trial"]]
check("the best trial is complete, and its valid metric is its last epoch's, the best such",
      best_record["status"] == "complete" and summary["best"]["valid"] == best_record["metric"][-1] == max(kept),
      (summary["best"], kept))
best_valid = json.load(open(os.path.join(a, "best", "report.json")))["metrics"].get("valid", {}) \
    if os.path.exists(os.path.join(a, "best", "report.json")) else {}
check("best.json reproduces the valid metric the search reports for it (best/'s valid accuracy)",
      best_valid.get("accuracy") == summary["best"]["valid"], (best_valid.get("accuracy"), summary["best"]["valid"]))
again = subprocess.run([binary, "train", "--config", os.path.join(a, "best.json"), "--output-dir",
                        os.path.join(work, "from-best"), "--force", "--quiet"], capture_output=True, text=True)
best_report = json.load(open(os.path.join(work, "from-best", "report.json")))
check("best.json is a complete config: training it again gives the best run's test metrics",
      again.returncode == 0 and best_report["metrics"]["test"] == summary["test"], again.stderr)

# With train.early_stopping in the config, a trial's run keeps its best epoch's weights: the
# trial's result is that epoch's metric (kept_epoch), and best.json reproduces it.
early_config = os.path.join(work, "early.json")
with open(early_config, "w") as f:
    early = json.load(open(config))
    early["train"].update({"early_stopping": "accuracy", "patience": 1, "epochs": 8})
    early["data"]["valid"] = "valid.tsv"  # early stopping needs it in the config; tune scores it
    json.dump(early, f)
early_dir = os.path.join(work, "early")
done = subprocess.run([binary, "tune", "--quiet", "--json", "--keep-runs", "--config", early_config, "--trials", "3",
                       "--search", "train.lr=loguniform(1e-2,3e-1)", "--output-dir", early_dir, "--force"],
                      capture_output=True, text=True, timeout=600)
rows = [json.loads(line) for line in open(os.path.join(early_dir, "trials.jsonl"))] if done.returncode == 0 else []
kept_ok = []
for r in rows:
    state = json.load(open(os.path.join(early_dir, "trials", f"{r['trial']:03d}", "report.json")))["early_stopping"]
    kept_ok.append(r.get("kept_epoch") == state["best_epoch"])
early_summary = json.loads(done.stdout) if done.returncode == 0 else {}
early_best = json.load(open(os.path.join(early_dir, "best", "report.json")))["metrics"]["valid"]["accuracy"] \
    if os.path.exists(os.path.join(early_dir, "best", "report.json")) else None
check("train.early_stopping: each trial records the epoch its run kept, and best.json reproduces the best's metric",
      len(rows) == 3 and all(kept_ok) and early_summary.get("best", {}).get("valid") == early_best,
      (rows, early_summary.get("best"), early_best, done.stderr))

# macro_f1 and f1:LABEL: each trial's metric per epoch is what its metrics.jsonl says of the
# valid split; macro F1 is the mean of the two classes' F1 (each 2PR / (P + R)).
for metric in ("macro_f1", "f1:0", "precision_at_recall:30"):
    out = os.path.join(work, "metric-" + metric.replace(":", "-"))
    done = tune(out, "--trials", "2", "--metric", metric)
    rows = [json.loads(line) for line in open(os.path.join(out, "trials.jsonl"))] if done.returncode == 0 else []
    expected = []
    for r in rows:
        epochs = [json.loads(line)["valid"] for line in open(os.path.join(out, "trials", f"{r['trial']:03d}", "metrics.jsonl"))]
        f1 = {k: 2 * v["precision"] * v["recall"] / (v["precision"] + v["recall"]) if v["precision"] + v["recall"] else 0
              for e in epochs[:1] for k, v in e["per_label"].items()}
        if metric == "macro_f1":
            expected.append(all(abs(e["macro_f1"] - sum(f1.values()) / len(f1)) < 1e-12 for e in epochs[:1]))
            expected.append(r["metric"] == [e["macro_f1"] for e in epochs])
        elif metric.startswith("precision_at_recall"):
            # fastText's percentage 30 is the level 0.30 of the valid metrics.
            expected.append(r["metric"] == [e["precision_at_recall"]["0.30"] for e in epochs])
        else:
            expected.append(abs(epochs[0]["per_label"]["0"]["f1"] - f1["0"]) < 1e-12)
            expected.append(r["metric"] == [e["per_label"]["0"]["f1"] for e in epochs])
    check(f"--metric {metric}: each trial's metric is its valid {metric} per epoch",
          done.returncode == 0 and len(rows) == 2 and all(expected), done.stderr)

# A word objective: --metric similarity (the default there) is each epoch's Spearman on the pairs
# file, and the trials share one word corpus in DIR/cache (words-KEY.bin), tokenised once.
words_dir = os.path.join(work, "words")
os.makedirs(words_dir)
animals, foods = ["cat", "dog", "horse", "cow", "sheep"], ["bread", "rice", "apple", "cheese", "soup"]
with open(os.path.join(words_dir, "train.txt"), "w") as f:
    for _ in range(400):
        f.write(f"{rng.choice(animals)} {rng.choice(['eats', 'likes', 'sees'])} {rng.choice(foods)} and "
                f"{rng.choice(animals)}\n")
with open(os.path.join(words_dir, "pairs.tsv"), "w") as f:
    for a_word, b_word, score in [("cat", "dog", 9), ("cow", "sheep", 8.5), ("bread", "rice", 8), ("apple", "cheese", 7),
                                  ("cat", "bread", 1), ("dog", "soup", 1.5), ("horse", "apple", 2), ("eats", "likes", 6)]:
        f.write(f"{a_word}\t{b_word}\t{score}\n")
words_config = os.path.join(words_dir, "config.json")
with open(words_config, "w") as f:
    json.dump({"data": {"train": "train.txt", "format": "text", "valid": "pairs.tsv"},
               "model": {"objective": "skipgram", "embedding_dim": 8, "window": 2},
               "vocab": {"min_count": 1, "sample": 0},
               "train": {"epochs": 3, "batch_size": 32, "lr": 0.05, "optimizer": "sgd", "threads": 1}}, f)


def tune_words(out):
    return subprocess.run([binary, "tune", "--quiet", "--json", "--keep-runs", "--config", words_config, "--trials", "4",
                           "--search", "train.lr=loguniform(1e-3,1e-1)", "--search", "model.window=int(1,3)",
                           "--output-dir", out, "--force"], capture_output=True, text=True, timeout=600)


w1, w2 = os.path.join(words_dir, "w1"), os.path.join(words_dir, "w2")
done_w1, done_w2 = tune_words(w1), tune_words(w2)
rows = [json.loads(line) for line in open(os.path.join(w1, "trials.jsonl"))] if done_w1.returncode == 0 else []
spearman = [[json.loads(line)["valid"]["spearman"]
             for line in open(os.path.join(w1, "trials", f"{r['trial']:03d}", "metrics.jsonl"))] for r in rows]
check("skipgram: --metric similarity by default, each trial's metric its valid Spearman per epoch",
      done_w1.returncode == 0 and json.loads(done_w1.stdout)["metric"] == "spearman" and len(rows) == 4
      and all(r["metric"] == s for r, s in zip(rows, spearman)), done_w1.stderr)
check("skipgram: the same search twice, trials.jsonl identical apart from timings",
      done_w2.returncode == 0 and trials(w1) == trials(w2), done_w2.stderr)
words_cache = os.path.join(w1, "cache")
check("skipgram trials share one word corpus (DIR/cache/words-KEY.bin), model.window does not change it",
      os.path.isdir(words_cache) and [f.startswith("words-") for f in os.listdir(words_cache)] == [True],
      os.listdir(words_cache) if os.path.isdir(words_cache) else "no cache folder")

# Bad input: one clear error each.
BAD = [
    ("an empty int range", ["--search", "train.epochs=int(5,5)"], "empty or inverted"),
    ("an inverted range", ["--search", "train.lr=loguniform(1e-1,1e-3)"], "empty or inverted"),
    ("a log range from 0", ["--search", "train.lr=loguniform(0,1)"], "a > 0"),
    ("an unknown key", ["--search", "train.lrr=uniform(0,1)"], "not a config key"),
    ("a path key", ["--search", "data.train=choice(a,b)"], "names a file"),
    ("the device", ["--search", "train.device=choice(cpu,cuda)"], "cannot be tuned"),
    ("an unknown distribution", ["--search", "train.lr=normal(0,1)"], "unknown distribution"),
    ("a float range for an integer key", ["--search", "train.epochs=uniform(1,5)"], "integer key"),
    ("a metric classify does not have", ["--metric", "similarity"], "not a metric"),
    ("f1: without a label", ["--metric", "f1:"], "needs a label"),
    ("f1: of a label the data does not have", ["--metric", "f1:maybe"], "no label 'maybe'"),
    ("precision_at_recall of no number", ["--metric", "precision_at_recall:high"], "is not a number"),
    ("precision_at_recall off the reported levels", ["--metric", "precision_at_recall:0.33"], "multiple of 0.05"),
    ("precision_at_recall above 100%", ["--metric", "precision_at_recall:120"], "not one of the levels"),
    ("a budget too small for one trial", ["--budget", "0.01s"], "too small for one trial"),
]
for name, args, expect in BAD:
    done = subprocess.run([binary, "tune", "--config", config, *VALID, *args, "--trials", "2", "--output-dir",
                           os.path.join(work, "bad"), "--force"], capture_output=True, text=True)
    check(f"bad input, {name}: exit 2 saying '{expect}'", done.returncode == 2 and expect in done.stderr, done.stderr)
no_valid = subprocess.run([binary, "tune", "--config", config, "--trials", "2", "--output-dir",
                           os.path.join(work, "bad")], capture_output=True, text=True)
check("no validation data: exit 2 saying --valid", no_valid.returncode == 2 and "--valid" in no_valid.stderr,
      no_valid.stderr)
exists = subprocess.run([binary, "tune", "--config", config, *VALID, "--trials", "2", "--output-dir", a],
                        capture_output=True, text=True)
check("a folder that holds a search already, without --force: exit 2 naming --resume",
      exists.returncode == 2 and "--resume" in exists.stderr, exists.stderr)
damaged = os.path.join(work, "damaged")
shutil.copytree(c, damaged)
lines = open(os.path.join(damaged, "trials.jsonl")).read().split("\n")
lines[3] = lines[3][:20]
open(os.path.join(damaged, "trials.jsonl"), "w").write("\n".join(lines))
broken = subprocess.run([binary, "tune", "--resume", damaged, "--trials", "14"], capture_output=True, text=True)
check("a damaged trials.jsonl line: an error naming file:line",
      broken.returncode != 0 and "trials.jsonl:4" in broken.stderr, broken.stderr)

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
