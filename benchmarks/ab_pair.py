"""Interleaved A/B of two lab contenders at one n: req/s side by side.

Usage: uv run python benchmarks/ab_pair.py rust-axum python-jit --n 20000 --rounds 5 --seconds 5
Both contenders run at once, each pinned to core 0 (idle while the other is measured); wrk
(1 thread, 100 connections) pinned to core 1 drives them in turns A B A B ..., so drift on a
shared machine hits both alike, unlike the lab's contender-after-contender protocol.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from contextlib import AbstractContextManager

from primebench.lab import procs, verify
from primebench.lab.contenders import Registry


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    registry = Registry.load()
    names = [args.a, args.b]
    rates: dict[str, list[float]] = {name: [] for name in names}

    def start(name: str) -> AbstractContextManager[procs.RunningServer]:
        return verify.start(registry.get(name), cpus=frozenset({0}))

    with start(args.a) as server_a, start(args.b) as server_b:
        servers = {args.a: server_a, args.b: server_b}
        for _ in range(args.rounds):
            for name in names:
                running = servers[name]
                out = subprocess.run(
                    ["taskset", "-c", "1", "wrk", "-t1", "-c100", f"-d{args.seconds}s", "--timeout", "30s",
                     f"http://127.0.0.1:{running.port}/prime?n={args.n}"],
                    capture_output=True, text=True, timeout=args.seconds + 60, check=True,
                ).stdout
                answered = int(next(line for line in out.splitlines() if "requests in" in line).split()[0])
                time.sleep(3)  # let the requests still queued finish before the other one runs
                rates[name].append(answered / args.seconds)
    for name in names:
        runs = [round(r, 1) for r in rates[name]]
        print(f"{name:12} req/s median {statistics.median(rates[name]):8.1f}  runs {runs}")
    ratio = statistics.median(rates[args.b]) / statistics.median(rates[args.a])
    print(f"{args.b} / {args.a} req/s = {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
