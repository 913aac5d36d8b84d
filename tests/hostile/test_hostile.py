#!/usr/bin/env python3
"""Hostile input, table-driven: every case must fail (or pass) with the right exit code, one
clear error line naming the problem, no crash, and nothing half-written.

usage: test_hostile.py EMBTRAIN_BINARY WORK_DIR        Ends with 'N passed, N failed'.
"""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
binary, work = sys.argv[1], os.path.abspath(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
SEED = os.path.join(ROOT, "configs", "seed.json")
GOOD = open(os.path.join(ROOT, "data", "seed", "train.tsv"), "rb").read()


def path(name):
    return os.path.join(work, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path(name)


def cfg(text):
    return ["train", "--config", write("config-%d.json" % len(os.listdir(work)), text)]


def train(*sets):
    args = ["train", "--config", SEED, "--set", "train.epochs=2"]
    for s in sets:
        args += ["--set", s]
    return args


def run(args, timeout=300, env=None, stdin=b""):
    return subprocess.run([binary, *args], cwd=work, capture_output=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})), input=stdin)


def snapshot(folder):
    """Every file of `folder` with its bytes: a failed command must leave it byte-identical."""
    return {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))
            if os.path.isfile(os.path.join(folder, name))}


# Two finished runs for the checkpoint cases.
run(train("train.checkpoint_every=1") + ["--output-dir", path("run4"), "--quiet"])
run(train("model.embedding_dim=8", "train.checkpoint_every=1") + ["--output-dir", path("run8"), "--quiet"])
for name, source in (("other-shape", "run8"), ("truncated", "run4"), ("garbage", "run4")):
    shutil.copytree(path("run4"), path(name))
shutil.copy(path("run8/checkpoint.pt"), path("other-shape/checkpoint.pt"))
data = open(path("run4/checkpoint.pt"), "rb").read()
write("truncated/checkpoint.pt", data[: len(data) // 2])
write("garbage/checkpoint.pt", os.urandom(4096))

# Runs that a command must not damage (issue: a run folder is never damaged).
for name in ("force-bad-data", "resume-new-data", "resume-new-lr"):
    shutil.copytree(path("run4"), path(name))
run(train() + ["--output-dir", path("finished"), "--quiet"])  # no checkpoints asked for
write("bad.tsv", b"1\tI am happy\nno tab on this line\n")
write("more.tsv", GOOD + GOOD)  # the same tokens, so the same vocabulary, but other data
# A stale torch library: the interface version of an old build.
write("stale.c", "int embtrain_torch_backend_version(void) { return 1; }\n")
subprocess.run(["cc", "-shared", "-fPIC", "-o", path("libstale.so"), path("stale.c")], check=True)

# Issue 18's cases: runs in each state, and data that used to give misleading errors.
for name in ("force-diverge", "force-ctrl-c"):
    shutil.copytree(path("run4"), path(name))
run(train("train.epochs=5") + ["--output-dir", path("interrupted"), "--quiet"],
    env={"EMBTRAIN_TEST_SIGNAL_AT": "3:2:15"})
run(train("vocab.subwords=true", "vocab.buckets=1000", "model.pooling=mean") + ["--output-dir", path("subwords"), "--quiet"])
wide = "".join(f"{i % 2}\t" + " ".join(f"w{i}x{j}" for j in range(51)) + "\n" for i in range(2000))
w2v = b"2 4\nI " + bytes(range(16)) + b"\nam " + bytes(range(16, 32)) + b"\n"  # word2vec's binary layout

big_line = b"1\t" + b"word " * (10 * 1024 * 1024) + b"\n"  # 50 MB on one line
tiny_lines = b"1\ta\n0\tb\n" * 500000                         # a million lines

# (name, args, exit code, text the error must contain)
# A CPU-only LibTorch, or no GPU visible (every CI machine): asking for CUDA is refused as such.
NO_CUDA = b"no CUDA device" in subprocess.run([binary, "--version"], capture_output=True).stdout

CASES = [
    # config files
    ("truncated config", cfg('{"data": {"train": "x.tsv"'), 2, "not valid JSON"),
    ("config with invalid UTF-8", cfg(b'{"data": {"train": "\xff\xfe.tsv"}}'), 2, "not valid JSON"),
    ("config with a NUL byte", cfg('{"data": {"train": "a\u0000"}}'), 2, "train"),
    ("config that is a list", cfg("[1, 2]"), 2, "expected a JSON object"),
    ("empty config", cfg(""), 2, "not valid JSON"),
    ("unknown section", cfg('{"data": {"train": "x.tsv"}, "modle": {}}'), 2, "did you mean 'model"),
    ("epochs as a string", cfg('{"data": {"train": "x"}, "train": {"epochs": "10"}}'), 2, "train.epochs"),
    ("epochs as 1e100", cfg('{"data": {"train": "x"}, "train": {"epochs": 1e100}}'), 2, "integer"),
    ("epochs past int64", cfg('{"data": {"train": "x"}, "train": {"epochs": 99999999999999999999}}'), 2, "train.epochs"),
    ("negative batch size", cfg('{"data": {"train": "x"}, "train": {"batch_size": -3}}'), 2, "train.batch_size"),
    ("negative learning rate", cfg('{"data": {"train": "x"}, "train": {"lr": -1}}'), 2, "train.lr"),
    ("specials not a list", cfg('{"data": {"train": "x"}, "vocab": {"specials": "<unk>"}}'), 2, "vocab.specials"),
    ("pairs of three", cfg('{"data": {"train": "x"}, "report": {"pairs": [["a", "b", "c"]]}}'), 2, "report.pairs"),
    ("config is a folder", ["train", "--config", work], 2, "Is a directory"),
    ("config missing", ["train", "--config", path("nope.json")], 2, "nope.json"),
    # --set
    ("--set without =", train("train.epochs"), 2, "KEY=VALUE"),
    ("--set unknown key", train("train.epoch=3"), 2, "did you mean 'train.epochs'"),
    ("--set a section", train("train=3"), 2, "'train'"),
    ("--set a list for an integer", train("train.epochs=[1]"), 2, "integer"),
    ("--set empty key", train("=5"), 2, "KEY=VALUE"),
    # data files
    ("label 2", train("data.train=" + write("l2.tsv", "2\tI am happy\n")), 1, "l2.tsv:1"),
    ("no tab", train("data.train=" + write("notab.tsv", GOOD + b"1 no tab here\n")), 1, "notab.tsv:11"),
    ("label without text", train("data.train=" + write("notext.tsv", "1\t\n")), 1, "no text"),
    ("NUL byte in data", train("data.train=" + write("nul.tsv", b"1\tI am \x00 happy\n")), 1, "NUL"),
    ("invalid UTF-8 in data", train("data.train=" + write("utf.tsv", b"1\tI am \xc3\x28 happy\n")), 1, "UTF-8"),
    ("truncated JSONL", train("data.train=" + write("t.jsonl", '{"label": 1, "text": "I am')), 1, "invalid JSON"),
    ("JSONL without text", train("data.train=" + write("nt.jsonl", '{"label": 1}\n')), 1, "\"text\""),
    ("JSONL label a number other than 0/1", train("data.train=" + write("ls.jsonl", '{"label": 7, "text": "a"}\n')), 1, "0, 1 or a string"),
    ("labels mixing 0/1 with names", train("data.train=" + write("mix.tsv", "1\tI am happy\n0\tI am sad\nok\tfine\n")), 1, "mix.tsv:3"),
    ("test label outside the training labels",
     train("data.train=" + write("ml.txt", "__label__a x y\n__label__b y z\n"),
           "data.test=" + write("mlt.txt", "__label__a x\n__label__c z\n")), 1, "mlt.txt:2: label 'c' is not one of"),
    ("empty label", train("data.train=" + write("emptylabel.txt", "__label__ x y\n")), 1, "empty label"),
    ("JSONL text as number", train("data.train=" + write("tn.jsonl", '{"label": 1, "text": 5}\n')), 1, "string"),
    ("JSONL line that is a list", train("data.train=" + write("li.jsonl", '[1, "a"]\n')), 1, "object"),
    ("fastText without prefix", train("data.train=" + write("np.txt", "1 I am happy\n")), 1, "__label__"),
    ("fastText label 7", train("data.train=" + write("l7.txt", "__label__7 I am happy\n")), 1, "0 or 1"),
    ("empty data file", train("data.train=" + write("empty.tsv", "")), 1, "no examples"),
    ("blank lines only", train("data.train=" + write("blank.tsv", "\n \n\t\n")), 1, "no examples"),
    ("data file is a folder", train("data.train=" + work, "data.format=tsv"), 1, "directory"),
    ("unknown extension", train("data.train=" + write("d.csv", "1,a\n")), 2, "data.format"),
    ("a 50 MB line", train("data.train=" + write("big.tsv", big_line), "train.epochs=1") + ["--output-dir", path("big-run"), "--quiet"], 0, ""),
    ("a million tiny lines", train("data.train=" + write("tiny.tsv", tiny_lines), "train.epochs=1", "train.batch_size=1000") + ["--output-dir", path("tiny-run"), "--quiet"], 0, ""),
    # vocabulary files
    ("duplicate vocabulary token", train("vocab.file=" + write("dup.txt", "I\nam\nI\n")), 1, "duplicate token 'I'"),
    ("empty vocabulary line", train("vocab.file=" + write("el.txt", "I\n\nam\n")), 1, "el.txt:2"),
    ("empty vocabulary file", train("vocab.file=" + write("ev.txt", "")), 1, "is empty"),
    ("invalid UTF-8 vocabulary", train("vocab.file=" + write("uv.txt", b"I\n\xff\n")), 1, "uv.txt:2"),
    # pretrained vectors
    ("pretrained of another dimension", train("model.pretrained=" + write("d3.vec", "1 3\nI 1 2 3\n")), 2, "model.embedding_dim"),
    ("pretrained row too short", train("model.pretrained=" + write("short.vec", "1 4\nI 1 2 3\n")), 1, "short.vec:2"),
    ("pretrained header lies", train("model.pretrained=" + write("lies.vec", "5 4\nI 1 2 3 4\n")), 1, "header says 5"),
    ("pretrained value inf", train("model.pretrained=" + write("inf.vec", "1 4\nI 1 2 inf 4\n")), 1, "finite"),
    ("pretrained truncated header", train("model.pretrained=" + write("hdr.vec", "12")), 1, "header"),
    # word objectives (skipgram, cbow) and their scoring
    ("skipgram on empty and one-word lines only", train("data.train=" + write("w1.txt", "\n\nalone\n\nhere\n"),
     "data.format=text", "model.objective=skipgram", "train.optimizer=sgd"), 2, "no (word, context) pair"),
    ("skipgram with every word below min_count", train("data.train=" + write("w2.txt", "a b c\nd e f\n"),
     "data.format=text", "model.objective=skipgram", "train.optimizer=sgd", "vocab.min_count=5"), 2, "min_count"),
    ("skipgram on a one-word vocabulary", train("data.train=" + write("w3.txt", "a a a\na a\nb\n"),
     "data.format=text", "model.objective=skipgram", "train.optimizer=sgd", "vocab.min_count=2", "vocab.sample=0"), 2, "two words or more"),
    ("skipgram whose subsampling keeps no token: trains, and warns that it learned nothing",
     train("data.train=" + write("w4.txt", "a b a b\nb a\n"), "data.format=text", "model.objective=skipgram",
           "train.optimizer=sgd", "vocab.min_count=1", "vocab.sample=0.001"), 0, "",
     {"stderr_has": "trained on no (word, context) pair: subsampling kept none of the 6 tokens"}),
    ("cbow with a vocabulary smaller than its window: trains, silently",
     train("data.train=" + path("w4.txt"), "data.format=text", "model.objective=cbow", "vocab.min_count=1",
           "train.optimizer=sgd", "vocab.sample=0", "model.window=5"), 0, "", {"stderr_empty": True}),
    ("skipgram given labels", train("model.objective=skipgram", "train.optimizer=sgd", 'data.labels=["a","b"]'), 2,
     "data.labels does not apply"),
    ("cbow with word n-grams", train("model.objective=cbow", "train.optimizer=sgd", "model.pooling=mean",
     "vocab.word_ngrams=2"), 2, "vocab.word_ngrams does not apply"),
    ("raw text for classify", train("data.format=text"), 2, "data.format 'text'"),
    ("an unknown objective", train("model.objective=glove"), 2, "model.objective"),
    ("skipgram with dense adam", train("model.objective=skipgram", "train.optimizer=adam"), 2, "use sgd or sparse_adam"),
    ("cbow asked for cuda:9", train("model.objective=cbow", "train.optimizer=sgd", "train.device=cuda:9"), 2,
     "CUDA is not available" if NO_CUDA else "CUDA device(s) are visible"),
    ("similarity pairs file with a bad line", ["similarity", write("s.vec", "2 2\na 1 0\nb 0 1\n"),
     write("bad-pairs.tsv", "a\tb\t3\na b 4\n")], 2, "bad-pairs.tsv:2"),
    ("similarity with no pair in vocabulary", ["similarity", path("s.vec"), write("oov-pairs.tsv", "x\ty\t3\n")], 2,
     "no pair"),
    ("analogy question of three words", ["analogy", path("s.vec"), write("q3.txt", ": s\na b a\n")], 2, "q3.txt:2"),
    # output
    ("output path is a file", train() + ["--output-dir", write("a-file", "x")], 1, "not a folder"),
    ("output folder not writable", train() + ["--output-dir", "/proc/embtrain"], 1, "output folder"),
    ("existing run without --force", train() + ["--output-dir", path("run4")], 2, "--force"),
    ("export to a full disk", ["export", "--run", path("run4"), "--format", "vec", "--output", "/dev/full"], 1, "No space left"),
    # run folders that a failed command must leave as they were
    ("--force with data that turns out malformed", train() + ["--output-dir", path("force-bad-data"),
     "--force", "--quiet", "--set", "data.train=" + path("bad.tsv")], 1, "bad.tsv:2",
     {"unchanged": path("force-bad-data")}),
    ("resume after the training data changed (same vocabulary)",
     ["train", "--resume", path("resume-new-data"), "--quiet", "--set", "data.train=" + path("more.tsv")],
     2, "data.train (encoded): 10 examples", {"unchanged": path("resume-new-data")}),
    ("resume with a key a resume may not change",
     ["train", "--resume", path("resume-new-lr"), "--quiet", "--set", "train.lr=0.5"], 2,
     "train.lr: 0.0001 in the checkpoint, 0.5 now", {"unchanged": path("resume-new-lr")}),
    ("resume a run that finished without a final checkpoint", ["train", "--resume", path("finished")], 2,
     "the run has finished", {"unchanged": path("finished")}),
    ("batch far larger than the data", train("train.batch_size=1099511627776"), 0, ""),
    ("batch past the largest allowed", train("train.batch_size=9223372036854775807"), 2, "train.batch_size"),
    ("embedding_dim x max_length too large", train("model.embedding_dim=1048577"), 2, "must be <= 1048576"),
    ("a stale torch library", ["predict", "--run", path("run4"), "hello"], 1,
     "has torch interface version 1, but this embtrain binary needs version",
     {"env": {"EMBTRAIN_TORCH_LIB": path("libstale.so")}}),
    ("a second Ctrl-C exits at once, no report, no temp file", train("train.epochs=5") + ["--output-dir",
     path("twice"), "--quiet"], 130, "", {"env": {"EMBTRAIN_TEST_SIGNAL_AT": "2:3:2:2"}, "silent": True}),
    ("predict: invalid UTF-8 on stdin", ["predict", "--json", "--run", path("run4")], 1,
     "stdin:3: invalid UTF-8 at byte 5", {"stdin": b"I am happy\nI am sad\nbad \xff line\nnever read\n",
                                          "stdout_lines": 2}),
    ("predict: a NUL byte on stdin", ["predict", "--run", path("run4")], 1, "stdin:2: NUL byte",
     {"stdin": b"I am happy\nnul\x00here\n", "stdout_lines": 1}),
    # what a user is told is true (issue 18): each case gave a misleading answer before
    ("dotted keys in a config file", cfg('{"data.train": "x.tsv"}'), 2,
     'a config file nests keys by section, write {"data": {"train": ...}}'),
    ("a TSV header line", train("data.train=" + write("header.tsv", b"label\ttext\n" + GOOD)), 1,
     "header.tsv:1: label 'label' on the first line, 0/1 from the next on: if this line is a header, remove it"),
    ("pos/neg labels with data.label_names", train("data.train=" + write("posneg.tsv", "pos\tI am happy\nneg\tI am sad\n"),
     'data.label_names=["bad","good"]'), 2, "data.label_names names the labels 0 and 1 of a binary run, but"),
    ("pos/neg labels: two outputs, said", train("data.train=" + path("posneg.tsv")) + ["--output-dir", path("posneg")], 0, "",
     {"stderr_has": "labels 'pos' and 'neg' are not 0/1, so they train two Sigmoid outputs"}),
    ("TSV content in a .txt file", train("data.train=" + write("tabs.txt", GOOD)), 1,
     "this line has a tab: for LABEL<TAB>TEXT lines set data.format=tsv"),
    ("swapped text<TAB>label", train("data.train=" + write("swapped.tsv", "I am happy\t1\nI am sad\t0\n")), 1,
     "looks like TEXT<TAB>LABEL; swap the columns"),
    ("word2vec binary as model.pretrained", train("model.pretrained=" + write("w2v.bin", w2v)), 1,
     "only the text .vec format is read"),
    ("train CONFIG without --config", ["train", SEED], 2, "a config file is given with --config: embtrain train --config"),
    ("a config key as an option", ["train", "--config", SEED, "--epochs", "5"], 2,
     "config keys are set with --set: --set train.epochs=5"),
    ("embtrain help", ["help"], 0, "", {"stdout_has": "Usage: embtrain [OPTIONS] SUBCOMMAND"}),
    ("embtrain help train", ["help", "train"], 0, "", {"stdout_has": "Usage: embtrain train [OPTIONS]"}),
    ("a command that does not exist, with --help", ["fit", "--help"], 2, "'fit' is not an embtrain command"),
    ("a key found by its meaning", train("train.learning_rate=0.1"), 2, "did you mean 'train.lr'?"),
    ("--force over a finished run that then diverges", ["train", "--config", SEED, "--set", "train.lr=1e38",
     "--set", "model.final_relu=false", "--output-dir", path("force-diverge"), "--force", "--quiet"], 1,
     "training failed at epoch 1, step 1", {"unchanged": path("force-diverge"), "absent": path("force-diverge.new")}),
    ("--force over a finished run, then Ctrl-C: the old run stays", ["train", "--config", SEED, "--set",
     "train.epochs=5", "--output-dir", path("force-ctrl-c"), "--force"], 130, "",
     {"unchanged": path("force-ctrl-c"), "env": {"EMBTRAIN_TEST_SIGNAL_AT": "2:1:2"}, "silent": True,
      "report_in": path("force-ctrl-c.new.none"),
      "stderr_has": "continue with: embtrain train --resume " + path("force-ctrl-c.new")}),
    ("inspect an interrupted run", ["inspect", path("interrupted")], 0, "",
     {"stdout_has": "State: interrupted by SIGTERM at epoch 3 of 5, step 3 (2 epochs completed); resumable: "
                    "embtrain train --resume " + path("interrupted")}),
    ("predict on an interrupted run warns", ["predict", path("interrupted"), "I am happy"], 0, "",
     {"stderr_has": "did not finish: interrupted by SIGTERM at epoch 3 of 5"}),
    ("predict --threshold on a binary run", ["predict", path("run4"), "--threshold", "1", "I am happy"], 0, "",
     {"stdout_has": "\t0\tI am happy"}),
    ("predict -k 2 on a binary run (the final ReLU keeps p >= 0.5)", ["predict", path("run4"), "-k", "2", "I am happy"],
     0, "", {"stdout_has": "1,0\t"}),
    ("predict on a subword run: unknown words have n-gram rows", ["predict", path("subwords"), "xyzzy qwerty"], 0, "",
     {"stderr_empty": True}),
    ("eval on a subword run: unknown words with n-grams have rows",
     ["eval", path("subwords"), "--data", write("unknown-words.tsv", "1\txyzzy qwerty\n0\tplugh frobnicate\n")], 0, "",
     {"stdout_has": "unknown    0.0% of tokens"}),
    ("encode shows the word n-gram rows", ["encode", "--config", SEED, "--set", "vocab.word_ngrams=2", "--set",
     "model.pooling=mean", "--set", "vocab.buckets=100", "I am happy"], 0, "", {"stdout_has": "[0,1,2,"}),
    ("a run that diverges says so", train("train.lr=100", "model.final_relu=false"), 0, "",
     {"stderr_has": "is worse than always predicting the training labels' shares"}),
    ("a frozen embedding gets no gradient, said", train("model.freeze_embedding=true"), 0, "",
     {"stderr_has": "no gradient reached the embedding in epoch 1: model.freeze_embedding is true"}),
    ("dense adam on a large table, said", train("data.train=" + write("wide.tsv", wide), "model.pooling=mean",
     "train.epochs=1", "train.batch_size=100") + ["--output-dir", path("wide")], 0, "",
     {"stderr_has": "train.optimizer=sparse_adam"}),
    # checkpoints
    ("checkpoint from another model shape", ["train", "--resume", path("other-shape"), "--quiet"], 2,
     "model.embedding_dim: 8 in the checkpoint, 4 now", {"unchanged": path("other-shape")}),
    ("truncated checkpoint", ["train", "--resume", path("truncated"), "--quiet"], 1, "not a readable checkpoint"),
    ("garbage checkpoint", ["train", "--resume", path("garbage"), "--quiet"], 1, "not a readable checkpoint"),
]

passed = failed = 0
for index, (name, args, code, needle, *more) in enumerate(CASES):
    extra = more[0] if more else {}
    out_dir = None
    if args[0] == "train" and "--output-dir" not in args and "--resume" not in args:
        out_dir = path(f"out-{index}")
        args = args + ["--output-dir", out_dir, "--quiet"]
    before = snapshot(extra["unchanged"]) if "unchanged" in extra else None
    result = run(args, env=extra.get("env"), stdin=extra.get("stdin", b""))
    stderr = result.stderr.decode("utf-8", "replace")
    problems = []
    if before is not None and snapshot(extra["unchanged"]) != before:
        problems.append(f"{extra['unchanged']} changed")
    if "stdout_lines" in extra:
        lines = result.stdout.decode("utf-8", "replace").split("\n")
        if lines[-1] != "" or len(lines) - 1 != extra["stdout_lines"]:
            problems.append(f"stdout is not {extra['stdout_lines']} complete lines: {result.stdout!r}")
    if result.returncode != code:
        problems.append(f"exit {result.returncode}, expected {code}")
    stdout = result.stdout.decode("utf-8", "replace")
    if "stderr_has" in extra and extra["stderr_has"] not in stderr:
        problems.append(f"stderr lacks {extra['stderr_has']!r}: {stderr.strip()[:500]}")
    if "stdout_has" in extra and extra["stdout_has"] not in stdout:
        problems.append(f"stdout lacks {extra['stdout_has']!r}: {stdout.strip()[:500]}")
    if extra.get("stderr_empty") and stderr:
        problems.append(f"stderr is not empty: {stderr.strip()[:300]}")
    if "absent" in extra and os.path.exists(extra["absent"]):
        problems.append(f"{extra['absent']} was left")
    if extra.get("silent"):  # stopped by a signal: no error line, but no report and no temp file
        folder = extra.get("report_in", args[args.index("--output-dir") + 1])
        if os.path.exists(os.path.join(folder, "report.json")):
            problems.append("a report was written")
        if os.path.isdir(folder) and any(".tmp-" in f for f in os.listdir(folder)):
            problems.append(f"temp file left in {folder}")
    elif code != 0:
        if not (stderr.startswith("embtrain: error:") and stderr.count("\n") == 1):
            problems.append(f"not one error line: {stderr[:300]!r}")
        elif needle not in stderr:
            problems.append(f"message lacks {needle!r}: {stderr.strip()}")
        if out_dir and os.path.exists(os.path.join(out_dir, "report.json")):
            problems.append("a report was written")
    for folder in filter(None, [out_dir, path("run4"), work]):
        if os.path.isdir(folder) and any(".tmp-" in f for f in os.listdir(folder)):
            problems.append(f"temp file left in {folder}")
    if problems:
        failed += 1
        print(f"FAIL {name}: {'; '.join(problems)}")
    else:
        passed += 1
        print(f"ok   {name}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
