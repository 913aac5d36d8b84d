#!/usr/bin/env python3
"""The tree shows the layers: which files may include torch is told by their folder.

usage: test_layout.py SOURCE_DIR

- src/text, include/embtrain/text, src/cli, src/backend.cpp and the interface headers
  include/embtrain/*.h include nothing from LibTorch (torch/, ATen/, c10/, caffe2/) and no
  embtrain/torch/ header: they build into the torch-free library and binary;
- every .cpp under src/text and src/torch has its header mirrored under include/embtrain/
  (same folder, same name), except the interface implementations run.cpp and saved_run.cpp;
- no source file is left at the top of src/ but the loader, backend.cpp.
Ends with 'N passed, N failed'.
"""
import os
import re
import sys

root = sys.argv[1]
TORCH_INCLUDE = re.compile(r'#\s*include\s*[<"](torch/|ATen/|c10/|caffe2/|embtrain/torch/)')
results = []


def check(name, problems):
    results.append(not problems)
    print(("ok   " if not problems else "FAIL ") + name + "".join("\n     " + p for p in problems))


def files(folder, suffixes, recurse=True):
    base = os.path.join(root, folder)
    for dirpath, _, names in os.walk(base):
        for name in sorted(names):
            if name.endswith(suffixes):
                yield os.path.relpath(os.path.join(dirpath, name), root)
        if not recurse:
            break


torch_free = [*files("src/text", (".cpp", ".h")), *files("include/embtrain/text", (".h",)),
              *files("src/cli", (".cpp", ".h")), "src/backend.cpp",
              *files("include/embtrain", (".h",), recurse=False)]
offenders = []
for path in torch_free:
    for number, line in enumerate(open(os.path.join(root, path), encoding="utf-8"), 1):
        if TORCH_INCLUDE.search(line):
            offenders.append(f"{path}:{number}: {line.strip()}")
check(f"{len(torch_free)} torch-free files include nothing from torch", offenders)

unmirrored = []
for layer in ("text", "torch"):
    for path in files(f"src/{layer}", (".cpp",)):
        stem = os.path.splitext(os.path.basename(path))[0]
        header = os.path.join(root, "include/embtrain", layer, stem + ".h")
        if stem not in ("run", "saved_run") and not os.path.exists(header):
            unmirrored.append(f"{path} has no include/embtrain/{layer}/{stem}.h")
check("src/text and src/torch mirror include/embtrain/text and include/embtrain/torch", unmirrored)

top = [p for p in files("src", (".cpp", ".h"), recurse=False) if p != "src/backend.cpp"]
check("nothing at the top of src/ but the loader backend.cpp", top)

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
