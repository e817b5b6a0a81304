#!/usr/bin/env bash
# Where a floor request's CPU goes, primebench beside the bare app on its core (issue 18).
#
#   benchmarks/perf_floor.sh [SECONDS] > benchmarks/profiles/floor-perf-own-vs-bare.txt
#
# Each server in turn runs on core 0 (one worker); `wrk -t1 -c64` asks /prime?n=1 from core 1;
# `perf record` samples core 0 for SECONDS in the middle of the load. The split by shared
# object (kernel, libpython, llhttp, uvloop, libc) is printed as µs of core 0 per request:
# its share of the samples times 1 / (wrk's req/s), core 0 being busy all the time. The
# kernel's share is the sockets (the same for both); libpython's is the interpreter running
# each side's Python. Needs root (perf), wrk and a quiet machine: run it alone.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-4}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

profile() {
  local side=$1 port=$2
  shift 2
  taskset -c 0 "$@" >"$out/$side.log" 2>&1 &
  local server=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/prime?n=1" >/dev/null && break
    sleep 0.1
  done
  taskset -c 1 wrk -t1 -c64 -d$((seconds + 4))s "http://127.0.0.1:$port/prime?n=1" >"$out/$side.wrk" &
  local load=$!
  sleep 2
  perf record -q -F 1999 -C 0 -o "$out/$side.data" -- sleep "$seconds" >/dev/null 2>&1
  wait "$load"
  kill -INT -- "-$server" 2>/dev/null || kill "$server"
  wait "$server" 2>/dev/null || true
  local rate
  rate=$(awk '/Requests\/sec/ {print $2}' "$out/$side.wrk")
  echo "== $side: wrk -t1 -c64, $rate req/s; core 0's time per request by shared object"
  perf report -i "$out/$side.data" --no-children --sort dso --stdio -g none 2>/dev/null |
    awk -v rate="$rate" '/%/ && $1 + 0 >= 0.5 {
      share = $1 + 0; sub(/^ *[0-9.]+% */, "")
      printf "  %-45s %5.1f %%  %5.2f us\n", $0, share, share / 100 * 1e6 / rate }'
}

python=$(uv run --frozen python -c 'import sys; print(sys.executable)')
set -m  # each server in its own process group, so one signal stops all of it
profile bare-httptools 18181 "$python" benchmarks/variants/bare-httptools/app.py 127.0.0.1 18181 1
profile primebench 18182 "$python" -m primebench serve --port 18182 --workers 1
