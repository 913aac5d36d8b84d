#!/usr/bin/env bash
# sweep.sh — an example sweep: learning rates x seeds over configs/seed.json.
#
# Each run goes into its own folder, SWEEP_DIR/lr<LR>-seed<SEED>. Prints one TSV table
# on stdout, a row per run: lr, seed, final train loss and accuracy, rows changed, and
# each tracked pair's cosine before and after (report.pairs). It reads only the CLI's
# JSON outputs (`embtrain train --json`, `embtrain inspect RUN --json`), with jq.
#
#   ./scripts/sweep.sh [SWEEP_DIR]        default SWEEP_DIR: runs/sweep
#   LRS="1e-4 1e-2" SEEDS="851 7" EPOCHS=50 ./scripts/sweep.sh runs/lr-sweep > sweep.tsv
#   EMBTRAIN=build/embtrain ./scripts/sweep.sh    use that binary, skip the build
set -euo pipefail
cd "$(dirname "$0")/.."

sweep_dir=${1:-runs/sweep}
read -r -a lrs <<<"${LRS:-0.0001 0.001 0.01}"
read -r -a seeds <<<"${SEEDS:-851 1 2}"
epochs=${EPOCHS:-100}

if [[ -z "${EMBTRAIN:-}" ]]; then
  ./scripts/build.sh >&2
  EMBTRAIN=build/embtrain
fi
command -v jq >/dev/null || ./scripts/deps.sh jq

header_printed=false
for lr in "${lrs[@]}"; do
  for seed in "${seeds[@]}"; do
    run="$sweep_dir/lr$lr-seed$seed"
    echo "sweep: lr $lr seed $seed -> $run" >&2
    summary=$("$EMBTRAIN" train --config configs/seed.json --set "train.lr=$lr" \
      --set "train.seed=$seed" --set "train.epochs=$epochs" --output-dir "$run" --force --quiet --json)
    inspected=$("$EMBTRAIN" inspect "$run" --json)
    if ! $header_printed; then
      jq -r '["lr", "seed", "train_loss", "train_accuracy", "rows_changed"]
             + (.pairs | map("\(.a)~\(.b)" | ., .) | to_entries
                | map(.value + (if .key % 2 == 0 then "_before" else "_after" end)))
             | @tsv' <<<"$inspected"
      header_printed=true
    fi
    jq -r --arg lr "$lr" --arg seed "$seed" --argjson inspected "$inspected" \
      '[$lr, $seed, .metrics.train.loss, .metrics.train.accuracy, .rows_changed]
       + ($inspected.pairs | map(.cosine_before, .cosine_after)) | @tsv' <<<"$summary"
  done
done
