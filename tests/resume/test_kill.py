#!/usr/bin/env python3
"""Crash consistency: a run killed with SIGKILL at 30 points spread over it (times drawn with a
fixed seed), and resumed after each kill, ends with a report.json byte-identical to the run that
was never interrupted.

usage: test_kill.py EMBTRAIN_BINARY WORK_DIR        Ends with 'N passed, N failed'.

After each kill the folder must hold the previous state or a resumable one: no half-written
file of the run (a killed writer's *.tmp-<pid> is allowed until the next train removes it), and
when checkpoint.pt exists, config.json and vocab.txt exist too. The next attempt resumes from
checkpoint.pt when there is one, and starts again (--force) when there is none.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
binary, work = sys.argv[1], os.path.abspath(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))


big = os.path.join(work, "big.tsv")
with open(os.path.join(ROOT, "data", "seed", "train.tsv"), encoding="utf-8") as f:
    lines = f.read()
with open(big, "w", encoding="utf-8") as f:
    f.write(lines * 200)
SETS = ["train.epochs=8", "train.shuffle=true", "train.batch_size=2", "model.final_relu=false",
        "model.pooling=mean", "train.optimizer=sparse_adam", "train.checkpoint_every=1",
        "train.threads=1", f"data.train={big}"]


def command(out, resume):
    if resume:
        return [binary, "train", "--resume", out, "--quiet"]
    args = [binary, "train", "--config", "configs/seed.json", "--output-dir", out, "--force", "--quiet"]
    for s in SETS:
        args += ["--set", s]
    return args


full = os.path.join(work, "full")
started = time.time()
subprocess.run(command(full, False), cwd=ROOT, check=True)
whole = time.time() - started

run = os.path.join(work, "killed")
rng = random.Random(20261128)
kills, outcomes = 0, {"resumable": 0, "nothing yet": 0, "finished": 0}
consistent = []
epochs_done = []  # epochs in metrics.jsonl after each kill: the kills must be spread over the run
while kills < 30:
    resume = os.path.exists(os.path.join(run, "checkpoint.pt"))
    process = subprocess.Popen(command(run, resume), cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=rng.uniform(0.05, max(0.2, whole / 4)))
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    names = set(os.listdir(run)) if os.path.isdir(run) else set()
    if "report.json" in names and process.returncode == 0:
        # Finished between kills (a loaded machine makes `whole`, and so the waits, longer):
        # start over, so that every one of the 30 kills lands in a run that is in progress.
        outcomes["finished"] += 1
        shutil.rmtree(run)
        continue
    ok = "checkpoint.pt" not in names or {"config.json", "vocab.txt"} <= names
    consistent.append(ok)
    metrics = os.path.join(run, "metrics.jsonl")
    epochs_done.append(sum(1 for _ in open(metrics)) if os.path.exists(metrics) else 0)
    outcomes["resumable" if "checkpoint.pt" in names else "nothing yet"] += 1

check(f"{kills} SIGKILLs: every folder left was the previous state or resumable {outcomes}",
      kills >= 30 and all(consistent), consistent)
final = subprocess.run(command(run, os.path.exists(os.path.join(run, "checkpoint.pt"))), cwd=ROOT,
                       capture_output=True, text=True)
if final.returncode == 2 and "already finished" in final.stderr:
    final.returncode = 0
check(f"the kills landed all over the run (epochs done at each kill: {epochs_done})",
      len(set(epochs_done)) >= 4, epochs_done)
check("the last attempt finishes", final.returncode == 0, final.stderr)
check("report.json is byte-identical to the run never killed",
      open(os.path.join(run, "report.json"), "rb").read() == open(os.path.join(full, "report.json"), "rb").read())
check("no temp file left after the last run", not any(".tmp-" in n for n in os.listdir(run)), os.listdir(run))
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
