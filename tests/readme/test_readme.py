#!/usr/bin/env python3
"""The README's commands, run as a newcomer would: in order, in a fresh copy of the project.

usage: test_readme.py EMBTRAIN_BINARY SOURCE_DIR WORK_DIR

Copies the tracked files of SOURCE_DIR into WORK_DIR/project, puts EMBTRAIN_BINARY on PATH as
`embtrain` and at build/embtrain (what the quick start builds), runs what the quick start's
scripts/run.sh runs, and then every command of the README's ```sh blocks, top to bottom:
- a line `$ COMMAND` followed by output lines: the output must match ("..." stands for any lines,
  and timings like "0.27 s" for any timing);
- a command whose comment shows output with <TAB> (`# 0.525366<TAB>1<TAB>I am happy`): its
  stdout must be that line ("…" stands for any text);
- every other command must exit 0.
Commands that build or install (./scripts/...), set the environment, or need the SpamAssassin
corpus (fetched from npm by scripts/fetch-spam.sh, not present here) or the word corpus
(scripts/fetch-words.sh) are listed as skipped, with the reason. The "why" texts and summary counts of the README's report.json excerpt must be what
the run wrote. Ends with 'N passed, N failed'.
"""
import json
import os
import re
import shutil
import subprocess
import sys

binary, source, work = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
project = os.path.join(work, "project")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))


# A fresh copy: what `git clone` gives (tracked and untracked-but-not-ignored files).
files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=source,
                       capture_output=True, text=True, check=True).stdout.split("\n")
for name in filter(None, files):
    if not os.path.isfile(os.path.join(source, name)):
        continue
    os.makedirs(os.path.dirname(os.path.join(project, name)), exist_ok=True)
    shutil.copy2(os.path.join(source, name), os.path.join(project, name))
os.makedirs(os.path.join(project, "build"))
os.symlink(binary, os.path.join(project, "build", "embtrain"))
bin_dir = os.path.join(work, "bin")
os.makedirs(bin_dir)
os.symlink(binary, os.path.join(bin_dir, "embtrain"))
env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"])


def run(command):
    return subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=project, env=env,
                          capture_output=True, text=True)


def normalise(line):
    return re.sub(r"\d+\.\d+ s\b", "N s", line.rstrip())


def matches(expected, actual):
    """Expected lines against actual ones; '...' matches any run of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and normalise(expected[0]) == normalise(actual[0]) and matches(expected[1:], actual[1:])


def skip_reason(command):
    if command.startswith("./scripts/") or command.startswith("export ") or command.startswith("^C"):
        return "builds, installs or sets up the shell"
    if "spam" in command and not os.path.exists(os.path.join(project, "data", "spam", "train.txt")):
        return "needs the SpamAssassin corpus (scripts/fetch-spam.sh)"
    if "words" in command and not os.path.exists(os.path.join(project, "data", "words", "train.txt")):
        return "needs the word corpus (scripts/fetch-words.sh)"
    return ""


# The quick start: scripts/run.sh builds, then trains configs/seed.json into runs/seed.
quick = run("embtrain train --config configs/seed.json --output-dir runs/seed --force --json")
check("quick start: the article run trains into runs/seed", quick.returncode == 0, quick.stderr)

readme = open(os.path.join(source, "README.md"), encoding="utf-8").read()
skipped = []
for block in re.findall(r"```sh\n(.*?)```", readme, re.S):
    lines = block.rstrip("\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        prompted = line.startswith("$ ")
        command = line[2:] if prompted else line
        if not command.strip() or command.lstrip().startswith("#"):
            continue
        expected = []
        if prompted:  # the output lines that follow, up to the next prompt
            while i < len(lines) and not lines[i].startswith("$ "):
                expected.append(lines[i])
                i += 1
        comment = ""
        if " # " in command or "  #" in command:
            command, comment = re.split(r"\s+#\s?", command, maxsplit=1)
        if i < len(lines) and lines[i].lstrip().startswith("#") and "<TAB>" in lines[i]:
            comment = lines[i].lstrip()[1:].strip()
            i += 1
        command = command.strip()
        reason = skip_reason(command)
        if reason:
            skipped.append(f"{command} ({reason})")
            continue
        result = run(command)
        name = f"`{command}`"
        if expected:
            actual = (result.stdout + result.stderr).rstrip("\n").split("\n")
            check(name + " prints what the README shows", result.returncode == 0 and matches(expected, actual),
                  f"exit {result.returncode}, got:\n{result.stdout}{result.stderr}")
        elif "<TAB>" in comment:
            pattern = re.escape(comment.replace("<TAB>", "\t")).replace("…", ".*?")
            check(name + " prints what its comment shows", result.returncode == 0 and
                  re.fullmatch(pattern, result.stdout.rstrip("\n")) is not None,
                  f"exit {result.returncode}, stdout {result.stdout!r}, stderr {result.stderr!r}")
        else:
            check(name + " exits 0", result.returncode == 0, f"exit {result.returncode}: {result.stderr.strip()}")

# The report.json excerpt: its why texts and summary counts are the article run's.
excerpt = re.search(r"An excerpt of `runs/seed/report.json`:\n\n```json\n(.*?)```", readme, re.S)
check("the README has the report.json excerpt", excerpt is not None)
if excerpt:
    report = json.load(open(os.path.join(project, "runs", "seed", "report.json"), encoding="utf-8"))
    whys = {t["why"] for t in report["tokens"]}
    for why in re.findall(r'"why": "([^"]*)"', excerpt.group(1)):
        check(f"excerpt's why '{why[:50]}…' is one the run wrote", why in whys, sorted(whys))
    for key, value in re.findall(r'"(rows|dim|rows_changed|rows_unchanged|rows_never_in_batch|optimizer_steps)": (\d+)',
                                 excerpt.group(1)):
        check(f"excerpt's summary {key} = {value}", report["summary"][key] == int(value), report["summary"][key])

for line in skipped:
    print("skip " + line)
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
