#!/usr/bin/env python3
"""Data-parallel training: N workers give one worker's weights, faults end runs, restarts resume.

usage: test_workers.py EMBTRAIN_BINARY TORCHRUN WORK_DIR        Ends with 'N passed, N failed'.

Every comparison is against a single-process run of the same config: `before` must be equal and
`after` within 1e-6 (the workers' sums differ from one process's only in their order), and the
metrics within 1e-6; word runs (skip-gram, CBOW) byte for byte. Workers are started by `train --nproc N` and by PyTorch's torchrun
(`--no_python`, from the project's Python environment). A worker is killed at a step known in
advance by the test-only EMBTRAIN_TEST_SIGNAL_AT=EPOCH:STEP:SIGNAL with EMBTRAIN_TEST_SIGNAL_RANK.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from run_tables import tables  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
binary, torchrun, work = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(work, exist_ok=True)
results = []
TOLERANCE = 1e-6


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))


def train(out, *sets, config="configs/seed.json", nproc=1, extra=(), env=None, launcher=None, timeout=300,
          torchrun_args=()):
    """Runs one training; returns (exit code, stderr, seconds)."""
    args = [binary, "train", "--config", config, "--output-dir", out, "--set", "train.threads=1", *extra]
    if "--resume" not in extra:
        args.append("--force")
        # A folder left by an earlier run of this test: --force would build beside it and leave
        # it in place when the new run is interrupted, so start from nothing.
        for folder in (out, out + ".new"):
            shutil.rmtree(folder, ignore_errors=True)
    for s in sets:
        args += ["--set", s]
    if nproc > 1 and launcher is None:
        args += ["--nproc", str(nproc)]
    if launcher == "torchrun":
        args = [torchrun, "--standalone", "--nproc_per_node", str(nproc), *torchrun_args, "--no_python", *args]
    started = time.monotonic()
    done = subprocess.run(args, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                          env=dict(os.environ, **(env or {})), timeout=timeout)
    return done.returncode, done.stderr, time.monotonic() - started


def children_of(pid):
    found = []
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and open(f"/proc/{p}/stat").read().split(") ")[-1].split()[1] == str(pid):
                found.append(int(p))
        except OSError:
            pass
    return found


def wait_until_stopped(launcher, count):
    """The launcher's `count` workers, once each has stopped itself (SIGSTOP from the test hook)."""
    deadline = time.monotonic() + 300  # only a limit for a hung test
    while time.monotonic() < deadline and launcher.poll() is None:
        workers = children_of(launcher.pid)
        states = []
        for pid in workers:
            try:
                states.append(open(f"/proc/{pid}/stat").read().split(") ")[-1].split()[0])
            except OSError:
                states.append("?")
        if len(workers) == count and all(state == "T" for state in states):
            return workers
        time.sleep(0.02)
    return children_of(launcher.pid)


def difference(a, b):
    """(max |before| difference, max |after| difference, max metric difference) of two runs."""
    (before_a, after_a), (before_b, after_b) = tables(a), tables(b)
    with open(f"{a}/report.json") as f:
        ma = json.load(f)["metrics"]
    with open(f"{b}/report.json") as f:
        mb = json.load(f)["metrics"]
    metric = max(abs(ma[split][key] - mb[split][key]) for split in ma for key in ma[split]
                 if isinstance(ma[split][key], (int, float)))
    return ((before_a - before_b).abs().max().item(), (after_a - after_b).abs().max().item(),
            metric)


def same_as(name, reference, run, tolerance=TOLERANCE):
    if not os.path.exists(f"{run}/report.json"):
        check(name, False, f"{run} has no report.json")
        return
    before, after, metric = difference(reference, run)
    run_before, run_after = tables(run)
    moved = (run_after - run_before).abs().max().item()
    check(name, before == 0 and after <= tolerance and metric <= tolerance and moved > 1e-4,
          f"before {before}, after {after}, metrics {metric}, rows moved at most {moved}")
    print(f"     max |after - after(1 worker)| = {after:.3g}, metrics {metric:.3g}")


def path(name):
    return os.path.join(work, name)


# 1. The article's run with a global batch of 2 (flatten, Adam), and a mean-pooling sparse_adam
#    run with shuffling, over 2 and 3 workers and through torchrun.
ARTICLE = ["train.batch_size=2"]
SPARSE = ["model.pooling=mean", "model.final_relu=false", "train.optimizer=sparse_adam", "train.shuffle=true",
          "train.batch_size=3", "train.lr=0.01", "train.epochs=20"]
for label, sets in (("article, batch 2, adam", ARTICLE), ("mean pooling, sparse_adam, shuffled", SPARSE)):
    key = label.split(",")[0].replace(" ", "-")
    one = path(f"{key}-1")
    code, err, _ = train(one, *sets)
    check(f"{label}: one process trains", code == 0, err)
    for nproc in (2, 3):
        run = path(f"{key}-{nproc}")
        code, err, _ = train(run, *sets, nproc=nproc)
        check(f"{label}: --nproc {nproc} exits 0", code == 0, err)
        same_as(f"{label}: --nproc {nproc} == one process", one, run)
    run = path(f"{key}-torchrun")
    code, err, _ = train(run, *sets, nproc=2, launcher="torchrun")
    check(f"{label}: torchrun --nproc_per_node 2 exits 0", code == 0, err[-2000:])
    same_as(f"{label}: torchrun 2 workers == one process", one, run)

# Workers use their threads: --nproc 2 with train.threads=2 (every kernel split, however small)
# gives the same bits as --nproc 2 with one thread each.
threaded = path("mean-pooling-2-threads-2")
code, err, _ = train(threaded, *SPARSE, "train.threads=2", nproc=2, env={"EMBTRAIN_TEST_SPLIT": "1"})
check("--nproc 2 with train.threads=2 exits 0", code == 0, err)
same_as("--nproc 2 with train.threads=2 == --nproc 2 with one thread, bit for bit", path("mean-pooling-2"),
        threaded, tolerance=0)

# Two "nodes" on this machine: two torchrun agents meeting at a c10d rendezvous endpoint
# (--nnodes 2 --rdzv_backend c10d), one worker each, as a multi-node launch does.
def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

one = path("mean-pooling-1")
nodes_run = path("two-nodes")
shutil.rmtree(nodes_run, ignore_errors=True)
endpoint = f"127.0.0.1:{free_port()}"
agents = [subprocess.Popen([torchrun, "--nnodes", "2", "--nproc_per_node", "1", "--rdzv_backend", "c10d",
                            "--rdzv_endpoint", endpoint, "--rdzv_id", "embtrain-test", "--no_python", binary,
                            "train", "--config", "configs/seed.json", "--output-dir", nodes_run,
                            "--set", "train.threads=1", *sum((["--set", x] for x in SPARSE), [])],
                           cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
          for _ in range(2)]
node_outputs = [a.communicate(timeout=300)[1] for a in agents]
check("two torchrun agents (--nnodes 2, c10d rendezvous): both exit 0",
      all(a.returncode == 0 for a in agents), [o[-1500:] for o in node_outputs])
same_as("two nodes == one process", one, nodes_run)

# Many labels: the per-label tallies are summed across workers too. 40 epochs of lr 0.02 move
# rows by up to 1.3; the reordered sums drift to ~1.3e-6 there (measured), so 1e-5 here.
one, two = path("topics-1"), path("topics-2")
train(one, config="configs/topics.json")
code, err, _ = train(two, config="configs/topics.json", nproc=2)
check("many labels: --nproc 2 exits 0", code == 0, err)
same_as("many labels: --nproc 2 == one process", one, two, tolerance=1e-5)

# Only rank 0 writes, and what it writes is the run's: rank 1 logs nothing at info level.
code, err, _ = train(path("quiet"), *ARTICLE, nproc=2)
check("only rank 0 logs at info level", "[rank 0] info" in err and "[rank 1] info" not in err, err)

# 2. A larger file (the ten sentences 300 times: 1,000 steps per epoch of batch 3), so that
#    stops land inside an epoch.
big = path("big.tsv")
with open(os.path.join(ROOT, "data", "seed", "train.tsv"), encoding="utf-8") as f:
    lines = f.read()
with open(big, "w", encoding="utf-8") as f:
    f.write(lines * 300)
LONG = SPARSE[:-1] + ["train.epochs=4", f"data.train={big}", "train.checkpoint_every=1", "train.dist_timeout=10"]
full = path("long-1")
code, err, _ = train(full, *LONG)
check("long run: one process trains", code == 0, err)

# A worker killed (SIGKILL) mid-run: the other stops at once with an error, the launcher names
# the lost rank; the same command with --resume auto then finishes with the uninterrupted report.
killed = path("killed")
code, err, seconds = train(killed, *LONG, nproc=2,
                           env={"EMBTRAIN_TEST_SIGNAL_AT": "3:500:9", "EMBTRAIN_TEST_SIGNAL_RANK": "1"})
check("a killed worker: the run exits non-zero", code != 0, f"exit {code}")
check("a killed worker: the launcher names it", "worker rank 1" in err and "signal 9" in err, err[-1500:])
check("a killed worker: rank 0 says it lost contact", "[rank 0]" in err and "lost contact" in err, err[-1500:])
check("a killed worker: a checkpoint of epoch 2 is left", os.path.exists(f"{killed}/checkpoint.pt"))
print(f"     killed at epoch 3, step 500: the whole run ended after {seconds:.1f} s")
code, err, _ = train(killed, *LONG, nproc=2, extra=["--resume", "auto"])
check("a killed worker: --resume auto finishes", code == 0, err[-1500:])
same_as("a killed worker: resumed run == uninterrupted one process", full, killed)

# The same through torchrun: with --max_restarts 1 it restarts both workers after the loss,
# and the same command line (--resume auto) continues from the last checkpoint.
restarted = path("restarted")
shutil.rmtree(restarted, ignore_errors=True)
code, err, seconds = train(restarted, *LONG, nproc=2, launcher="torchrun", extra=["--resume", "auto"],
                           torchrun_args=["--max_restarts", "1"],
                           env={"EMBTRAIN_TEST_SIGNAL_AT": "2:300:9", "EMBTRAIN_TEST_SIGNAL_RANK": "1"})
check("torchrun --max_restarts 1: a worker killed at epoch 2, both restarted, exit 0", code == 0, err[-2500:])
check("torchrun --max_restarts 1: the restart resumed from the checkpoint", "resuming at epoch 2" in err, err[-2500:])
same_as("torchrun --max_restarts 1: restarted run == uninterrupted one process", full, restarted)
print(f"     torchrun run with one restart took {seconds:.1f} s")

# 3. A 2-worker checkpoint (Ctrl-C reaches both) resumed with 1 worker and with 2.
stopped = path("stopped-2")
code, err, _ = train(stopped, *LONG, nproc=2, env={"EMBTRAIN_TEST_SIGNAL_AT": "2:400:2"})
check("Ctrl-C on 2 workers: exit 130", code == 130, f"exit {code}: {err[-1500:]}")
for nproc in (1, 2):
    copy = path(f"stopped-2-resumed-by-{nproc}")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(stopped, copy)
    args = ["--resume", copy] + (["--nproc", str(nproc)] if nproc > 1 else [])
    done = subprocess.run([binary, "train", *args], cwd=ROOT, stderr=subprocess.PIPE, text=True, timeout=300)
    check(f"2-worker checkpoint resumed by {nproc}: exit 0", done.returncode == 0, done.stderr[-1500:])
    same_as(f"2-worker checkpoint resumed by {nproc} == uninterrupted one process", full, copy)

# Ctrl-C at the launcher (SIGINT to --nproc's process alone): forwarded once to every worker,
# which stop at the same step; rank 0 writes the checkpoint; exit 130 without an error line.
forwarded = path("forwarded")
shutil.rmtree(forwarded, ignore_errors=True)
# Both workers stop themselves (SIGSTOP) after step 1 of epoch 2, so the Ctrl-C lands at a point
# known in advance however fast the machine is; they continue once it has been sent.
launcher = subprocess.Popen([binary, "train", "--config", "configs/seed.json", "--output-dir", forwarded,
                             "--nproc", "2", "--set", "train.threads=1", *sum((["--set", x] for x in LONG), [])],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, EMBTRAIN_TEST_SIGNAL_AT=f"2:1:{signal.SIGSTOP.value}"))
workers = wait_until_stopped(launcher, 2)
launcher.send_signal(signal.SIGINT)
time.sleep(0.2)  # the launcher forwards it; a stopped worker takes it when it continues
for pid in workers:
    os.kill(pid, signal.SIGCONT)
err = launcher.communicate(timeout=120)[1]
check("Ctrl-C at the launcher: exit 130", launcher.returncode == 130, f"exit {launcher.returncode}: {err[-1500:]}")
check("Ctrl-C at the launcher: no error line, a checkpoint", "error" not in err and
      os.path.exists(f"{forwarded}/checkpoint.pt"), err[-1500:])
done = subprocess.run([binary, "train", "--resume", forwarded, "--nproc", "2"], cwd=ROOT, stderr=subprocess.PIPE,
                      text=True, timeout=300)
check("Ctrl-C at the launcher: --resume finishes", done.returncode == 0, done.stderr[-1500:])
same_as("Ctrl-C at the launcher, resumed == uninterrupted one process", full, forwarded)

# 4. Workers that do not train the same run stop at once, all of them, naming what differs.
store = path("mismatch-store")
if os.path.exists(store):
    os.remove(store)
processes = []
for rank, lr in ((0, "0.01"), (1, "0.02")):
    env = dict(os.environ, WORLD_SIZE="2", RANK=str(rank), EMBTRAIN_STORE_FILE=store,
               EMBTRAIN_GLOO_HOST="127.0.0.1")
    processes.append(subprocess.Popen(
        [binary, "train", "--config", "configs/seed.json", "-o", path("mismatch"), "--force", "--set",
         f"train.lr={lr}"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True))
outputs = [p.communicate(timeout=120) for p in processes]
codes = [p.returncode for p in processes]
check("mismatched workers: both exit 2", codes == [2, 2], f"{codes}: {outputs}")
check("mismatched workers: the error names the key and both values",
      all("train.lr: 0.01 on rank 0, 0.02 on rank 1" in err for _, err in outputs), outputs)

# 5. --nproc listens on loopback only: no socket of a worker accepts connections from elsewhere.
def listening_addresses(pids):
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            pass
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                    found.append(fields[1])
    return found

launcher = subprocess.Popen([binary, "train", "--config", "configs/seed.json", "-o", path("sockets"), "--force",
                             "--nproc", "2", "--set", f"data.train={big}", "--set", "train.epochs=3", "-q"],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, EMBTRAIN_TEST_SIGNAL_AT=f"1:1:{signal.SIGSTOP.value}"))
children = wait_until_stopped(launcher, 2)  # both in step 1, connected: their sockets are open
addresses = listening_addresses(children)
for pid in children:
    os.kill(pid, signal.SIGCONT)
launcher.wait(timeout=300)
loopback = ("0100007F:", "00000000000000000000000001000000:")
check("--nproc: workers listen, on 127.0.0.1 only", addresses and all(a.startswith(loopback) for a in addresses),
      addresses)

# 7. Word objectives: every worker draws the plan and the negatives alike and trains its slice
#    of each batch; the slices' uses, in rank order, are one process's, so N workers give one
#    process's bytes (model.pt, embeddings.pt), for both optimizers, with and without subwords.
import random  # noqa: E402
words = path("words")
os.makedirs(words, exist_ok=True)
rng = random.Random(7)
animals, foods = ["cat", "dog", "horse", "cow", "sheep"], ["bread", "rice", "apple", "cheese", "soup"]
with open(os.path.join(words, "train.txt"), "w") as f:
    for _ in range(300):
        f.write(f"{rng.choice(animals)} {rng.choice(['eats', 'likes'])} {rng.choice(foods)} and {rng.choice(animals)}\n")
word_config = os.path.join(words, "config.json")
with open(word_config, "w") as f:
    json.dump({"data": {"train": "train.txt", "format": "text"},
               "model": {"objective": "skipgram", "embedding_dim": 8, "window": 2},
               "vocab": {"min_count": 1, "sample": 0, "minn": 2, "maxn": 3, "buckets": 50},
               "train": {"epochs": 3, "batch_size": 32, "lr": 0.02, "optimizer": "sgd"}}, f)


def same_bytes(a, b):
    return all(os.path.exists(f"{x}/{n}") for x in (a, b) for n in ("model.pt", "embeddings.pt")) and all(
        open(f"{a}/{n}", "rb").read() == open(f"{b}/{n}", "rb").read() for n in ("model.pt", "embeddings.pt"))


WORD_CASES = [("skipgram, sgd", []), ("cbow, sparse_adam, subwords",
                                      ["model.objective=cbow", "train.optimizer=sparse_adam", "vocab.subwords=true"])]
for label, sets in WORD_CASES:
    key = label.replace(", ", "-").replace(" ", "")
    one = path(f"words-{key}-1")
    code, err, _ = train(one, *sets, config=word_config)
    check(f"words, {label}: one process exits 0", code == 0, err)
    for nproc in (2, 3):
        run = path(f"words-{key}-{nproc}")
        code, err, _ = train(run, *sets, config=word_config, nproc=nproc)
        check(f"words, {label}: --nproc {nproc} gives one process's model.pt and embeddings.pt, byte for byte",
              code == 0 and same_bytes(one, run), err)
cbow_sets = WORD_CASES[1][1]
threaded = path("words-threads")
code, err, _ = train(threaded, *cbow_sets, "train.threads=2", config=word_config, nproc=2, env={"EMBTRAIN_TEST_SPLIT": "1"})
check("words: --nproc 2 with train.threads=2 (every kernel split) gives one process's bytes",
      code == 0 and same_bytes(path("words-cbow-sparse_adam-subwords-1"), threaded), err)
# SIGTERM in worker 1 after epoch 2, step 5: both stop at the next step boundary, rank 0 writes
# the checkpoint, and --resume on 2 workers finishes with the uninterrupted run's bytes.
stopped = path("words-stopped")
code, err, _ = train(stopped, *cbow_sets, config=word_config, nproc=2,
                     env={"EMBTRAIN_TEST_SIGNAL_AT": f"2:5:{signal.SIGTERM.value}", "EMBTRAIN_TEST_SIGNAL_RANK": "1"})
state = json.load(open(f"{stopped}/state.json")) if os.path.exists(f"{stopped}/state.json") else {}
check("words: a signal in worker 1 stops both workers at the next step (epoch 2, step 7), resumable",
      code == 128 + signal.SIGTERM.value and state.get("status") == "interrupted" and state.get("at") == {"epoch": 2, "step": 7}
      and state.get("resumable") is True, (code, state, err[-800:]))
done = subprocess.run([binary, "train", "--resume", stopped, "--nproc", "2", "-q"], cwd=ROOT, stderr=subprocess.PIPE,
                      text=True, timeout=300)
check("words: --resume on 2 workers gives the uninterrupted run's bytes",
      done.returncode == 0 and same_bytes(path("words-cbow-sparse_adam-subwords-1"), stopped), done.stderr)

# 6. Bad usage fails with a clear error.
def fails(name, args, env, expect):
    done = subprocess.run([binary, "train", *args], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                          env=dict(os.environ, **env), timeout=60)
    check(name, done.returncode == 2 and expect in done.stderr, f"exit {done.returncode}: {done.stderr}")

fails("--nproc under torchrun's environment", ["--config", "configs/seed.json", "--nproc", "2", "-o", path("u")],
      {"WORLD_SIZE": "2", "RANK": "0", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29999"}, "drop it")
fails("WORLD_SIZE without RANK", ["--config", "configs/seed.json", "-o", path("u")], {"WORLD_SIZE": "2"},
      "RANK is not")
fails("RANK out of range", ["--config", "configs/seed.json", "-o", path("u")],
      {"WORLD_SIZE": "2", "RANK": "2", "MASTER_ADDR": "x", "MASTER_PORT": "1"}, "RANK")
fails("--resume auto without --config", ["--resume", "auto"], {}, "--resume auto needs --config")
fails("--nproc 0", ["--config", "configs/seed.json", "--nproc", "0"], {}, "nproc")

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
