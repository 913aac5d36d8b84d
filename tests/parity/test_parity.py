#!/usr/bin/env python3
"""Parity: embtrain's embedding weights against the PyTorch reference, on CPU with one thread.

usage: test_parity.py EMBTRAIN_BINARY WORK_DIR

Each case trains the same data, vocabulary, seed and hyper-parameters with embtrain and with
reference.py, and requires `before` and `after` to agree to TOLERANCE: 0, bit for bit, since both
sides run the same LibTorch (the torch in .venv). Prints each case's largest difference, exits
non-zero on any mismatch and ends with the line 'N passed, N failed'.
"""
import json
import re
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEED_CONFIG = os.path.join(ROOT, "configs", "seed.json")
TRAIN = os.path.join(ROOT, "data", "seed", "train.tsv")
MULTI = os.path.join(HERE, "multi.tsv")  # the seed sentences with 4 labels, 1 or 2 per line
TOLERANCE = 0.0

# (name, embtrain --set overrides, reference flags)
CASES = [
    ("article run", {}, {}),
    ("batch size 4", {"train.batch_size": 4}, {"batch-size": 4}),
    ("final_relu off, lr 1e-2, batch 3",
     {"model.final_relu": False, "train.lr": 0.01, "train.batch_size": 3},
     {"final-relu": 0, "lr": 0.01, "batch-size": 3}),
    ("vocabulary file in reverse order, batch 2", {"vocab.file": "@VOCAB", "train.batch_size": 2},
     {"vocab": "@VOCAB", "batch-size": 2}),
    ("shuffled, batch 3, seed 7",
     {"train.shuffle": True, "train.batch_size": 3, "train.seed": 7, "model.final_relu": False},
     {"shuffle": 1, "batch-size": 3, "seed": 7, "final-relu": 0}),
    ("max_length 2 truncates", {"model.max_length": 2, "train.batch_size": 2},
     {"max-length": 2, "batch-size": 2}),
    ("mean pooling, batch 4, lr 1e-2",
     {"model.pooling": "mean", "train.batch_size": 4, "train.lr": 0.01, "model.final_relu": False},
     {"pooling": "mean", "batch-size": 4, "lr": 0.01, "final-relu": 0}),
    ("sum pooling", {"model.pooling": "sum", "train.batch_size": 2, "model.final_relu": False},
     {"pooling": "sum", "batch-size": 2, "final-relu": 0}),
    ("max pooling", {"model.pooling": "max", "train.batch_size": 2, "train.lr": 0.01,
                     "model.final_relu": False},
     {"pooling": "max", "batch-size": 2, "lr": 0.01, "final-relu": 0}),
    ("sparse_adam, mean pooling, batch 3",
     {"train.optimizer": "sparse_adam", "model.pooling": "mean", "train.batch_size": 3,
      "train.lr": 0.01, "model.final_relu": False, "model.embedding_dim": 8},
     {"optimizer": "sparse_adam", "pooling": "mean", "batch-size": 3, "lr": 0.01,
      "final-relu": 0, "embedding-dim": 8}),
    ("sparse_adam, flatten, article settings", {"train.optimizer": "sparse_adam"},
     {"optimizer": "sparse_adam"}),
    ("uniform init, linear schedule, batch 2",
     {"model.init": "uniform", "train.lr_schedule": "linear", "train.batch_size": 2,
      "train.lr": 0.01, "model.final_relu": False},
     {"init": "uniform", "lr-schedule": "linear", "batch-size": 2, "lr": 0.01, "final-relu": 0}),
    ("xavier_uniform init, cosine schedule after 7 warmup steps, shuffled",
     {"model.init": "xavier_uniform", "train.lr_schedule": "cosine", "train.warmup_steps": 7,
      "train.shuffle": True, "train.lr": 0.01, "model.final_relu": False},
     {"init": "xavier_uniform", "lr-schedule": "cosine", "warmup-steps": 7, "shuffle": 1,
      "lr": 0.01, "final-relu": 0}),
    ("sparse_adam, mean pooling, uniform init, linear schedule, 30 warmup steps",
     {"train.optimizer": "sparse_adam", "model.pooling": "mean", "train.batch_size": 3,
      "train.lr": 0.05, "model.final_relu": False, "model.embedding_dim": 8,
      "model.init": "uniform", "train.lr_schedule": "linear", "train.warmup_steps": 30},
     {"optimizer": "sparse_adam", "pooling": "mean", "batch-size": 3, "lr": 0.05,
      "final-relu": 0, "embedding-dim": 8, "init": "uniform", "lr-schedule": "linear",
      "warmup-steps": 30}),
    ("multi-label head (4 labels), flatten, batch 2",
     {"data.train": "@MULTI", "train.batch_size": 2, "model.final_relu": False, "train.lr": 0.01},
     {"train": "@MULTI", "batch-size": 2, "final-relu": 0, "lr": 0.01}),
    ("multi-label head, sparse_adam, mean pooling, uniform init, shuffled",
     {"data.train": "@MULTI", "train.optimizer": "sparse_adam", "model.pooling": "mean",
      "train.batch_size": 3, "train.lr": 0.01, "model.final_relu": False, "model.init": "uniform",
      "train.shuffle": True},
     {"train": "@MULTI", "optimizer": "sparse_adam", "pooling": "mean", "batch-size": 3,
      "lr": 0.01, "final-relu": 0, "init": "uniform", "shuffle": 1}),
]


def max_difference(a, b):
    return max(abs(x - y) for row_a, row_b in zip(a, b) for x, y in zip(row_a, row_b))


THREADS = (2, 3)


def same_bits_on_threads(command, out_dir):
    """The same run on 2 and 3 threads, every threaded kernel split however small the data
    (EMBTRAIN_TEST_SPLIT): model.pt, embeddings.pt and metrics.jsonl (timings aside) must be the
    same bytes as on one thread."""
    problems = []
    for threads in THREADS:
        other = f"{out_dir}-threads-{threads}"
        done = subprocess.run([other if arg == out_dir else "train.threads=%d" % threads if arg == "train.threads=1"
                               else arg for arg in command], capture_output=True, text=True,
                              env=dict(os.environ, EMBTRAIN_TEST_SPLIT="1"))
        if done.returncode != 0:
            problems.append(f"exit {done.returncode} on {threads} threads: {done.stderr.strip()[-200:]}")
            continue
        for name in ("model.pt", "embeddings.pt"):
            if open(os.path.join(out_dir, name), "rb").read() != open(os.path.join(other, name), "rb").read():
                problems.append(f"{name} differs on {threads} threads")
        metrics = [open(os.path.join(folder, "metrics.jsonl")).read() for folder in (out_dir, other)]
        untimed = [re.sub(r'"seconds":[-0-9.e]+', "", text) for text in metrics]
        if untimed[0] != untimed[1]:
            problems.append(f"metrics.jsonl differs on {threads} threads")
    return problems


def run_case(binary, work, index, name, overrides, flags):
    vocab_file = os.path.join(work, "reverse-vocab.txt")
    tokens = list(dict.fromkeys(open(TRAIN, encoding="utf-8").read().split()))
    tokens = [t for t in tokens if t not in ("0", "1")]
    with open(vocab_file, "w", encoding="utf-8") as f:
        f.write("\n".join(sorted(tokens, reverse=True)) + "\n")
    out_dir = os.path.join(work, f"case{index}")
    command = [binary, "train", "--config", SEED_CONFIG, "--output-dir", out_dir, "--force",
               "--quiet", "--set", "train.threads=1", "--set", "train.device=cpu"]
    files = {"@VOCAB": vocab_file, "@MULTI": MULTI}
    for key, value in overrides.items():
        value = files.get(value, value) if isinstance(value, str) else value
        command += ["--set", f"{key}={json.dumps(value) if not isinstance(value, str) else value}"]
    subprocess.run(command, check=True)
    report = json.load(open(os.path.join(out_dir, "report.json"), encoding="utf-8"))
    problems = same_bits_on_threads(command, out_dir)
    reference_command = [sys.executable, os.path.join(HERE, "reference.py"), "--train", TRAIN]
    for key, value in flags.items():
        reference_command += [f"--{key}", files.get(value, value) if isinstance(value, str) else str(value)]
    reference = json.loads(subprocess.run(reference_command, check=True, capture_output=True,
                                          text=True).stdout)
    largest = 0.0
    if report["vocab"] != reference["vocab"]:
        problems.append("vocabularies differ")
    else:
        for key in ("before", "after"):
            difference = max_difference(report[key], reference[key])
            largest = max(largest, difference)
            if difference > TOLERANCE:
                problems.append(f"{key} differs by {difference:.3g}")
    if report["before"] == report["after"]:
        problems.append("nothing was trained")
    return problems, largest


def main():
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    passed = failed = 0
    for index, (name, overrides, flags) in enumerate(CASES):
        problems, largest = run_case(binary, work, index, name, overrides, flags)
        print(f"{'ok  ' if not problems else 'FAIL'} {name} (max |diff| {largest:.3g})"
              + (": " + "; ".join(problems) if problems else ""))
        passed += not problems
        failed += bool(problems)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
