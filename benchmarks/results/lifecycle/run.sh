#!/bin/bash
# Interleaved A/B of server lifecycles: warm (default) vs --fresh-servers, floor, A/A calibrated.
set -euo pipefail
cd "$(dirname "$0")/../../.."
for i in 1 2; do
  for mode in warm fresh; do
    extra=()
    if [ "$mode" = fresh ]; then extra=(--fresh-servers); fi
    uv run primebench bench --scenario floor --contenders go-seed,primebench --rounds 5 \
      --duration 2 --calibrate --seed "$i" "${extra[@]}" --out "benchmarks/results/lifecycle/$mode"
  done
done
