#!/usr/bin/env python3
"""Crash consistency: a run killed with SIGKILL at 30 points chosen in advance, in steps and in
writes (not in seconds), and resumed after each kill, ends with a report.json byte-identical to
the run that was never interrupted. Then a `train --force` replacement of a finished run is
killed at points of its own: the old run stays byte-identical until the new one is in place.

usage: test_kill.py EMBTRAIN_BINARY WORK_DIR        Ends with 'N passed, N failed'.

Kill points come from the test-only hooks, so where each kill lands does not depend on how fast
the machine is: EMBTRAIN_TEST_SIGNAL_AT=EPOCH:STEP:9 (SIGKILL right after that step) and
EMBTRAIN_TEST_KILL_AT=FILE:N:before|after (SIGKILL at this attempt's Nth atomic write of FILE,
with the temp file complete but not yet renamed, or just after the rename). A few kills at random
times follow; they assert only that the folder stays consistent.

After each kill the folder must hold the previous state or a resumable one: no half-written
file of the run (a killed writer's *.tmp-<pid> is allowed until the next train removes it), and
when checkpoint.pt exists, config.json and vocab.txt exist too. The next attempt resumes from
checkpoint.pt when there is one, and starts again (--force) when there is none.
"""
import hashlib
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
    f.write(lines * 200)  # 2,000 examples: 1,000 steps an epoch at batch size 2
EPOCHS, STEPS = 8, 1000
SETS = [f"train.epochs={EPOCHS}", "train.shuffle=true", "train.batch_size=2", "model.final_relu=false",
        "model.pooling=mean", "train.optimizer=sparse_adam", "train.checkpoint_every=1",
        "train.threads=2", f"data.train={big}"]
# Every kernel split over both threads, however small (the kill loop runs on 2 threads; a run on
# one thread must end with the same tensors).
SPLIT = {"EMBTRAIN_TEST_SPLIT": "1"}


def command(out, resume, extra=()):
    if resume:
        return [binary, "train", "--resume", out, "--quiet"]
    args = [binary, "train", "--config", "configs/seed.json", "--output-dir", out, "--force", "--quiet"]
    for s in list(SETS) + list(extra):
        args += ["--set", s]
    return args


def kill_env(point):
    if point[0] == "step":
        return {"EMBTRAIN_TEST_SIGNAL_AT": f"{point[1]}:{point[2]}:9"}
    return {"EMBTRAIN_TEST_KILL_AT": f"{point[1]}:{point[2]}:{point[3]}"}


def epochs_in(run):
    metrics = os.path.join(run, "metrics.jsonl")
    return sum(1 for _ in open(metrics)) if os.path.exists(metrics) else 0


def consistent(run):
    names = set(os.listdir(run)) if os.path.isdir(run) else set()
    return "checkpoint.pt" not in names or {"config.json", "vocab.txt"} <= names


full = os.path.join(work, "full")
subprocess.run(command(full, False), cwd=ROOT, check=True, env=dict(os.environ, **SPLIT))
full_one_thread = os.path.join(work, "full-1-thread")
subprocess.run(command(full_one_thread, False, ["train.threads=1"]), cwd=ROOT, check=True)

# In run order. An attempt resumes from the last checkpoint (written after every epoch), so a
# point at or after where it resumes is always reached: every kill lands where it is aimed.
POINTS = [("write", "config.json", 1, "before"), ("write", "config.json", 1, "after"),
          ("write", "vocab.txt", 1, "after"), ("step", 1, 1), ("step", 1, 600),
          ("write", "checkpoint.pt", 1, "before"), ("write", "checkpoint.pt", 1, "after"),
          ("step", 2, 1), ("step", 2, STEPS), ("write", "checkpoint.pt", 2, "after"),
          ("step", 4, 333), ("step", 4, 334), ("write", "checkpoint.pt", 1, "before"),
          ("step", 4, STEPS - 1), ("write", "checkpoint.pt", 1, "after"), ("step", 5, 2),
          ("step", 5, 500), ("step", 6, 1), ("step", 6, 750), ("step", 7, 100), ("step", 7, 900),
          ("step", 8, 1), ("step", 8, 500), ("step", 8, STEPS),
          ("write", "checkpoint.pt", 1, "before"),   # the final checkpoint, before the tensors
          ("write", "model.pt", 1, "before"), ("write", "embeddings.pt", 1, "after"),
          ("write", "report.html", 1, "before"), ("write", "report.json", 1, "before"),
          ("write", "report.json", 1, "after")]
run = os.path.join(work, "killed")
landed, states, epochs_done = [], [], []
for point in POINTS:
    resume = os.path.exists(os.path.join(run, "checkpoint.pt"))
    process = subprocess.run(command(run, resume), cwd=ROOT, stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, **SPLIT, **kill_env(point)))
    landed.append(process.returncode == -signal.SIGKILL)
    if process.returncode != -signal.SIGKILL:
        print(f"  {point}: exit {process.returncode}: {process.stderr.strip()[-300:]}")
    states.append(consistent(run))
    epochs_done.append(epochs_in(run))
check(f"{len(POINTS)} SIGKILLs, each at the step or write it was aimed at", all(landed), landed)
check(f"after every kill the folder was the previous state or resumable (epochs done: {epochs_done})",
      all(states), states)
# Known in advance: metrics.jsonl gains a line as an epoch ends, just before its checkpoint, and
# a resume rewrites it as its checkpoint has it (so a kill inside checkpoint 4's write reads 4,
# and the next attempt, back at checkpoint 3, reads 3).
EXPECTED = [0, 0, 0, 0, 0, 1, 1, 1, 1, 3, 3, 3, 4, 3, 4, 4, 4, 5, 5, 6, 6, 7, 7, 7, 8, 8, 8, 8, 8, 8]
check("the kills are spread over the whole run, each epoch where it was aimed", epochs_done == EXPECTED,
      epochs_done)
final = subprocess.run(command(run, os.path.exists(os.path.join(run, "checkpoint.pt"))), cwd=ROOT,
                       capture_output=True, text=True, env=dict(os.environ, **SPLIT))
finished = final.returncode == 0 or (final.returncode == 2 and "already finished" in final.stderr)
check("the last attempt finishes (or finds the run finished)", finished, final.stderr)
check("report.json is byte-identical to the run never killed",
      open(os.path.join(run, "report.json"), "rb").read() == open(os.path.join(full, "report.json"), "rb").read())
check("the killed 2-thread run's model.pt and embeddings.pt are byte-identical to a 1-thread run's",
      all(open(os.path.join(run, n), "rb").read() == open(os.path.join(full_one_thread, n), "rb").read()
          for n in ("model.pt", "embeddings.pt")))
check("no temp file left after the last run", not any(".tmp-" in n for n in os.listdir(run)), os.listdir(run))


# A replacement (--force over a finished run) killed anywhere leaves the old run byte-identical
# and readable; the one that finishes takes its place.
def digest(folder):
    return {n: hashlib.sha256(open(os.path.join(folder, n), "rb").read()).hexdigest()
            for n in sorted(os.listdir(folder)) if n != "in_progress.json"}


old = os.path.join(work, "old")
SHORT = ["train.epochs=2"]
subprocess.run(command(old, False, SHORT), cwd=ROOT, check=True)
with open(os.path.join(old, "notes.txt"), "w") as f:
    f.write("my notes\n")
before = digest(old)
REPLACE_POINTS = [("write", "config.json", 1, "after"), ("step", 1, 10), ("write", "checkpoint.pt", 1, "after"),
                  ("step", 2, 999), ("write", "model.pt", 1, "after"), ("write", "report.json", 1, "before"),
                  ("write", "report.json", 1, "after"), ("write", "replaces.json", 2, "after")]
kept, readable = [], []
for point in REPLACE_POINTS:
    process = subprocess.run(command(old, False, SHORT + ["train.lr=0.01"]), cwd=ROOT,
                             stderr=subprocess.PIPE, env=dict(os.environ, **kill_env(point)))
    kept.append(process.returncode == -signal.SIGKILL and digest(old) == before)
    readable.append(subprocess.run([binary, "inspect", old], capture_output=True).returncode == 0)
check(f"{len(REPLACE_POINTS)} kills of a --force replacement: the old run is byte-identical each time", all(kept), kept)
check("... and `inspect` reads it each time", all(readable), readable)
replaced = subprocess.run(command(old, False, SHORT + ["train.lr=0.01"]), cwd=ROOT, capture_output=True, text=True)
config = open(os.path.join(old, "config.json")).read()
check("the replacement that finishes takes the old run's place (and keeps the user's notes.txt)",
      replaced.returncode == 0 and '"lr": 0.01' in config and
      open(os.path.join(old, "notes.txt")).read() == "my notes\n" and not os.path.exists(old + ".new"),
      replaced.stderr + str(os.listdir(work)))

# A few kills at random times: where they land depends on the machine, so they assert only that
# the folder stays consistent and the run still finishes to the same bits.
rng = random.Random(20261201)
timed = os.path.join(work, "timed")
started = time.time()
subprocess.run(command(timed, False), cwd=ROOT, check=True)
whole = time.time() - started
shutil.rmtree(timed)
ok = []
for _ in range(6):
    resume = os.path.exists(os.path.join(timed, "checkpoint.pt"))
    process = subprocess.Popen(command(timed, resume), cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=rng.uniform(0.05, max(0.2, whole / 3)))
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
    ok.append(consistent(timed))
last = subprocess.run(command(timed, os.path.exists(os.path.join(timed, "checkpoint.pt"))), cwd=ROOT,
                      capture_output=True, text=True)
check("timed kills: the folder stays consistent and the run finishes to the same report.json",
      all(ok) and (last.returncode == 0 or "already finished" in last.stderr) and
      open(os.path.join(timed, "report.json"), "rb").read() == open(os.path.join(full, "report.json"), "rb").read(),
      (ok, last.stderr))
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
