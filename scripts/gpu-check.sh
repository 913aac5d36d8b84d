#!/usr/bin/env bash
# gpu-check.sh — embtrain on CUDA, in one command of a few minutes, on a machine with an NVIDIA GPU
# and PyTorch 2.x built with CUDA:
#   1. configures and builds embtrain against that torch's LibTorch (build-cuda/);
#   2. runs the tests that also check CUDA where it is visible (test_model, test_cli, test_word_step);
#   3. trains the article run and a mean-pooling sparse_adam run on cpu and on cuda and requires
#      `before` equal and `after` within 1e-5 (GPU kernels sum in another order), and the
#      sparse_adam run with 2 workers on cuda (--nproc 2, Gloo) against 1 within 1e-5;
#      skip-gram and CBOW runs (sparse_adam, and skip-gram with sgd) on cpu (the kernels) and on
#      cuda (ATen's ops) with `before` equal and `after` within 1e-5;
#   4. trains that sparse_adam run on 4 CPU threads and requires it equal to 1 thread's (0) and
#      within 1e-5 of cuda's;
#   5. prints the wall time of each run, then the CPU scaling table of the spam run on 1, 2, 4, 8
#      and 16 threads (scripts/bench-threads.sh; needs data/spam: scripts/fetch-spam.sh, or carry
#      it to a machine without network).
# usage: scripts/gpu-check.sh [PYTHON]   (PYTHON: a python3 whose torch has CUDA; default python3)
# Needs the Debian packages of scripts/deps.sh (--no-venv) and the CUDA toolkit that LibTorch's
# CMake files look for (nvcc on PATH or CUDA_HOME).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(command -v "${1:-python3}")
prefix=$("$python" - <<'PY'
import torch, torch.utils
assert torch.cuda.is_available(), f"torch {torch.__version__} sees no CUDA device"
print(torch.utils.cmake_prefix_path)
PY
)
echo "gpu-check: torch $("$python" -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))')" >&2
started=$(date +%s.%N)
cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DEMBTRAIN_LIBTORCH="$prefix" \
  -DEMBTRAIN_PYTHON="$python" >/dev/null
cmake --build build-cuda -j"$(nproc)"
echo "gpu-check: built in $(echo "$(date +%s.%N) - $started" | bc) s" >&2

(cd build-cuda && ctest --output-on-failure -R '^test_(model|cli|word_step):')

work=$(mktemp -d /tmp/embtrain-gpu-XXXXXX)
trap 'rm -rf "$work"' EXIT
# train NAME DEVICE [--set ...]: one timed run into $work/NAME-DEVICE
train() {
  local name=$1 device=$2; shift 2
  local t0; t0=$(date +%s.%N)
  build-cuda/embtrain train --config configs/seed.json --output-dir "$work/$name-$device" --force \
    --quiet --set train.device="$device" "$@"
  printf 'gpu-check: %-12s %-5s %6.2f s\n' "$name" "$device" "$(echo "$(date +%s.%N) - $t0" | bc)" >&2
}
sparse=(--set model.pooling=mean --set train.optimizer=sparse_adam --set train.batch_size=3
        --set train.lr=0.01 --set model.final_relu=false --set model.embedding_dim=8
        --set train.shuffle=true)
for device in cpu cuda; do
  train article "$device"
  train sparse_mean "$device" "${sparse[@]}"
done
# Two workers on the GPU(s) (--nproc 2: worker r takes cuda:r mod the GPUs). The CPU-only torch
# of the project's own machines has no NCCL: workers exchange gradients through Gloo, copied to
# the CPU and back, which is what this checks.
train sparse_mean_2w cuda "${sparse[@]}" --nproc 2
train sparse_mean_t4 cpu "${sparse[@]}" --set train.threads=4
# Word objectives: the CPU's kernels against ATen's ops on CUDA (aten_batch_loss), on the
# committed topics text (labels ignored), skip-gram and CBOW with sparse_adam, skip-gram with sgd.
train_words() {
  local name=$1 device=$2; shift 2
  local t0; t0=$(date +%s.%N)
  build-cuda/embtrain train --config configs/words.json --output-dir "$work/$name-$device" --force --quiet \
    --set data.train=data/topics/train.txt --set data.format=auto --set vocab.min_count=1 \
    --set model.embedding_dim=32 --set train.batch_size=16 --set train.device="$device" "$@"
  printf 'gpu-check: %-12s %-5s %6.2f s\n' "$name" "$device" "$(echo "$(date +%s.%N) - $t0" | bc)" >&2
}
for device in cpu cuda; do
  train_words skipgram "$device"
  train_words cbow "$device" --set model.objective=cbow
  train_words skipgram_sgd "$device" --set train.optimizer=sgd --set train.lr=0.05
done
"$python" - "$work" <<'PY'
import json, sys
work, failed, checks = sys.argv[1], 0, 0
for name in ("article", "sparse_mean", "skipgram", "cbow", "skipgram_sgd"):
    cpu, cuda = (json.load(open(f"{work}/{name}-{d}/report.json")) for d in ("cpu", "cuda"))
    for key, tolerance in (("before", 0.0), ("after", 1e-5)):
        diff = max(abs(a - b) for ra, rb in zip(cpu[key], cuda[key]) for a, b in zip(ra, rb))
        ok = diff <= tolerance and cuda["device"].startswith("cuda")
        failed, checks = failed + (not ok), checks + 1
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {key} cpu vs cuda max |diff| {diff:.3g} (<= {tolerance:g})")
cuda1, cuda2 = (json.load(open(f"{work}/{name}-cuda/report.json")) for name in ("sparse_mean", "sparse_mean_2w"))
for key, tolerance in (("before", 0.0), ("after", 1e-5)):
    diff = max(abs(a - b) for ra, rb in zip(cuda1[key], cuda2[key]) for a, b in zip(ra, rb))
    ok = diff <= tolerance
    failed, checks = failed + (not ok), checks + 1
    print(f"{'ok  ' if ok else 'FAIL'} sparse_mean: {key} 1 vs 2 workers on cuda max |diff| {diff:.3g} (<= {tolerance:g})")
threaded = json.load(open(f"{work}/sparse_mean_t4-cpu/report.json"))
for other, device, tolerance in (("sparse_mean-cpu", "1 CPU thread", 0.0), ("sparse_mean-cuda", "cuda", 1e-5)):
    reference = json.load(open(f"{work}/{other}/report.json"))
    diff = max(abs(a - b) for ra, rb in zip(threaded["after"], reference["after"]) for a, b in zip(ra, rb))
    ok = diff <= tolerance
    failed, checks = failed + (not ok), checks + 1
    print(f"{'ok  ' if ok else 'FAIL'} sparse_mean: after, 4 CPU threads vs {device} max |diff| {diff:.3g} (<= {tolerance:g})")
print(f"{checks - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY

# The CPU scaling table (this machine's cores), with the same bits on every thread count.
if [[ -s data/spam/train.txt ]]; then
  EMBTRAIN=build-cuda/embtrain PYTHON="$python" ./scripts/bench-threads.sh 1 2 4 8 16
else
  echo "gpu-check: no data/spam/train.txt (scripts/fetch-spam.sh, or carry data/spam): no scaling table" >&2
fi
