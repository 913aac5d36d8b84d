#!/usr/bin/env python3
"""Runs that survive: determinism, interrupt + resume bit for bit, divergence, resume errors.

usage: test_resume.py EMBTRAIN_BINARY WORK_DIR        Ends with 'N passed, N failed'.

An interrupted run is stopped by a real signal at a step known in advance: the test-only
EMBTRAIN_TEST_SIGNAL_AT=EPOCH:STEP:SIGNAL makes embtrain raise SIGNAL in itself right after that
step. Resuming must give a report.json byte-identical to the run that was never interrupted,
including shuffling and both optimizers.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
binary, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))


def train(out, *sets, wait=True, env=None):
    args = [binary, "train", "--config", "configs/seed.json", "--output-dir", out, "--force", "--quiet",
            "--set", "train.threads=1"]
    for s in sets:
        args += ["--set", s]
    process = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, **(env or {})))
    if wait:
        process.wait()
    return process


def read(path):
    with open(path, "rb") as f:
        return f.read()


LONG = ["train.epochs=1200", "train.shuffle=true", "train.batch_size=3", "model.final_relu=false"]

# Determinism: the same config and seed twice give byte-identical reports.
a, b = os.path.join(work, "a"), os.path.join(work, "b")
train(a, *LONG)
train(b, *LONG)
check("same config and seed: byte-identical report.json", read(f"{a}/report.json") == read(f"{b}/report.json"))

# A larger file (the ten sentences 300 times), so that a signal lands inside an epoch.
big = os.path.join(work, "big.tsv")
with open(os.path.join(ROOT, "data", "seed", "train.tsv"), encoding="utf-8") as f:
    lines = f.read()
with open(big, "w", encoding="utf-8") as f:
    f.write(lines * 300)
LONG = ["train.epochs=6", "train.shuffle=true", "train.batch_size=2", "model.final_relu=false",
        f"data.train={big}"]
# (optimizer, signal, exit code, epoch, step): 1,500 steps per epoch, checkpoints every 2 epochs,
# so each stop lands inside an epoch, after a checkpoint.
for optimizer, sig, code, epoch, step in (("adam", signal.SIGINT, 130, 3, 500),
                                          ("sparse_adam", signal.SIGTERM, 143, 4, 77)):
    extra = [f"train.optimizer={optimizer}", "model.pooling=mean", "train.checkpoint_every=2"]
    full, cut = os.path.join(work, f"full-{optimizer}"), os.path.join(work, f"cut-{optimizer}")
    train(full, *LONG, *extra)
    shutil.rmtree(cut, ignore_errors=True)
    process = train(cut, *LONG, *extra, wait=False,
                    env={"EMBTRAIN_TEST_SIGNAL_AT": f"{epoch}:{step}:{sig.value}"})
    stderr = process.communicate()[1]
    check(f"{optimizer}: {sig.name} exits {code}", process.returncode == code, f"{process.returncode} {stderr}")
    report = json.loads(read(f"{cut}/report.json"))
    stopped = report.get("interrupted")
    check(f"{optimizer}: report marked interrupted at epoch {epoch}, step {step}, checkpoint written",
          stopped and stopped["signal"] == sig.value and stopped["epoch"] == epoch
          and stopped["step"] == step and os.path.exists(f"{cut}/checkpoint.pt"), stopped)
    resumed = subprocess.run([binary, "train", "--resume", cut, "--quiet"], cwd=ROOT, capture_output=True, text=True)
    check(f"{optimizer}: resume exits 0", resumed.returncode == 0, resumed.stderr)
    check(f"{optimizer}: resumed at epoch {stopped and stopped['epoch']} step {stopped and stopped['step']} "
          "-> report.json byte-identical to the uninterrupted run",
          read(f"{cut}/report.json") == read(f"{full}/report.json"))
    again = subprocess.run([binary, "train", "--resume", cut], cwd=ROOT, capture_output=True, text=True)
    check(f"{optimizer}: resuming a finished run is a usage error",
          again.returncode == 2 and "already finished" in again.stderr, again.stderr)
    # The same stop resumed on 3 threads (every threaded kernel split: EMBTRAIN_TEST_SPLIT):
    # the weights are the same bytes as the uninterrupted one-thread run's.
    threaded = os.path.join(work, f"cut-{optimizer}-threads")
    shutil.rmtree(threaded, ignore_errors=True)
    train(threaded, *LONG, *extra, env={"EMBTRAIN_TEST_SIGNAL_AT": f"{epoch}:{step}:{sig.value}"})
    resumed = subprocess.run([binary, "train", "--resume", threaded, "--quiet", "--set", "train.threads=3"],
                             cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, EMBTRAIN_TEST_SPLIT="1"))
    check(f"{optimizer}: resumed on 3 threads -> model.pt and embeddings.pt byte-identical to one thread's",
          resumed.returncode == 0 and all(read(f"{threaded}/{name}") == read(f"{full}/{name}")
                                          for name in ("model.pt", "embeddings.pt")), resumed.stderr)

# One writer per run folder: a train stopped (SIGSTOP, raised by itself at a step known in
# advance) while it writes its folder; a second train into it is refused at once (exit 2), and
# --resume, predict and inspect say that a run is in progress and by which pid; once it
# continues, the first finishes intact (its report equals the same run's).
busy = os.path.join(work, "busy")
shutil.rmtree(busy, ignore_errors=True)
extra = ["train.optimizer=adam", "model.pooling=mean", "train.checkpoint_every=2"]
first = train(busy, *LONG, *extra, wait=False, env={"EMBTRAIN_TEST_SIGNAL_AT": f"1:5:{signal.SIGSTOP.value}"})
deadline = time.time() + 300  # only a limit for a hung test; the point is a step, not a time


def stopped(pid):
    try:
        return open(f"/proc/{pid}/stat").read().split(") ")[-1].split()[0] == "T"
    except OSError:
        return False


while not stopped(first.pid) and time.time() < deadline and first.poll() is None:
    time.sleep(0.01)
second = subprocess.run([binary, "train", "--config", "configs/seed.json", "--output-dir", busy, "--force",
                         "--quiet"], cwd=ROOT, capture_output=True, text=True)
in_progress = f"a training run is in progress in '{busy}' (pid {first.pid}, since "
others = [subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True)
          for args in (["train", "--resume", busy], ["predict", busy, "I am happy"], ["inspect", busy])]
first.send_signal(signal.SIGCONT)
first_err = first.communicate()[1]
check("a second train into a folder being written is refused at once, naming the writer's pid",
      second.returncode == 2 and in_progress in second.stderr, second.stderr)
check("--resume, predict and inspect on it say a run is in progress (pid), exit 2",
      all(o.returncode == 2 and in_progress in o.stderr for o in others), [o.stderr for o in others])
check("... and the first run finishes intact",
      first.returncode == 0 and read(f"{busy}/report.json") == read(os.path.join(work, "full-adam", "report.json")),
      first_err)
check("... and leaves no in_progress.json", not os.path.exists(f"{busy}/in_progress.json"), os.listdir(busy))

# Divergence names the epoch and step and keeps the earlier checkpoint.
div = os.path.join(work, "diverge")
process = train(div, "train.lr=1e38", "model.final_relu=false")
stderr = process.stderr.read()
check("a huge learning rate stops with an error naming epoch and step",
      process.returncode == 1 and "epoch 1, step 1" in stderr and stderr.count("\n") == 1, stderr)
check("nothing half-written after divergence", not os.path.exists(f"{div}/report.json")
      and not any(".tmp" in name for name in os.listdir(div)), os.listdir(div))

missing = subprocess.run([binary, "train", "--resume", os.path.join(work, "nowhere")], cwd=ROOT,
                         capture_output=True, text=True)
check("resume without a checkpoint is a usage error", missing.returncode == 2 and "checkpoint.pt" in missing.stderr,
      missing.stderr)
both = subprocess.run([binary, "train", "--resume", a, "--config", "configs/seed.json"], cwd=ROOT,
                      capture_output=True, text=True)
check("--resume with --config is a usage error", both.returncode == 2, both.stderr)

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
