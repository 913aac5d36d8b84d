#!/usr/bin/env bash
# fuzz.sh — builds the libFuzzer harnesses in tests/fuzz/ with clang (ASan + UBSan) and runs
# each for a bounded time, starting from its seed corpus in tests/fuzz/corpus/<target>/.
# A crash is saved under build-fuzz/ (crash-*); copy it to tests/fuzz/regressions/<target>/
# so that ctest replays it from then on (fuzz_replay_<target>).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET (default 120)] [TARGET...]
#        targets: config set data vocab vec report (report.json + metrics.jsonl, as inspect,
#        report and compare read them) checkpoint (checkpoint.pt as --resume reads it; built
#        against .venv's LibTorch, which scripts/deps.sh makes)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh --no-venv clang libclang-rt-14-dev nlohmann-json3-dev libspdlog-dev >/dev/null
seconds=${1:-120}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(config set data vocab vec report checkpoint)
out=build-fuzz
mkdir -p "$out"
status=0
for target in "${targets[@]}"; do
  sources=(src/text/*.cpp)  # the whole torch-free library
  torch_flags=()
  if [[ "$target" == checkpoint ]]; then
    # LibTorch ships fmt 12 headers; a folder holding only Debian's fmt, first, keeps spdlog's.
    mkdir -p "$out/system-fmt" && ln -sfn /usr/include/fmt "$out/system-fmt/fmt"
    torch=$(.venv/bin/python -c 'import torch, os; print(os.path.dirname(torch.__file__))')
    sources+=(src/torch/archive_check.cpp src/torch/checkpoint.cpp src/torch/model.cpp src/torch/optimizer.cpp)
    torch_flags=(-I"$out/system-fmt" -isystem "$torch/include" -isystem "$torch/include/torch/csrc/api/include"
                 -L"$torch/lib" -Wl,-rpath,"$torch/lib" -ltorch -ltorch_cpu -lc10)
  fi
  clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -Iinclude "${torch_flags[@]:0:5}" "tests/fuzz/fuzz_$target.cpp" \
    "${sources[@]}" -lspdlog -lfmt "${torch_flags[@]:5}" -o "$out/fuzz_$target"
  leaks=()
  # LibTorch's zip reader leaks its state when an archive is malformed (mz_zip_reader_init, seen
  # on the first run): not embtrain's to fix, and harmless in a command that then exits.
  [[ "$target" == checkpoint ]] && leaks=(-detect_leaks=0)
  mkdir -p "$out/corpus-$target"
  cp -n tests/fuzz/corpus/"$target"/* "$out/corpus-$target/" 2>/dev/null || true
  echo "fuzz: $target for ${seconds}s" >&2
  if ! "$out/fuzz_$target" "${leaks[@]}" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$out/$target-" -print_final_stats=1 "$out/corpus-$target" >"$out/fuzz_$target.log" 2>&1; then
    echo "fuzz: $target FOUND A CRASH, see $out/fuzz_$target.log and $out/$target-crash-*" >&2
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/fuzz_$target.log" | grep -o '[0-9]*$' || echo "?")
  echo "fuzz: $target: $runs executions in ${seconds}s, corpus $(ls "$out/corpus-$target" | wc -l) files" >&2
done
exit $status
