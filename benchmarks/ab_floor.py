"""Interleaved A/B of service variants at the floor (n=1) with wrk: ratios side by side, one run.

Usage:
    uv run python benchmarks/ab_floor.py "--loop asyncio" "--loop uvloop" [--rounds 5 --seconds 4]
Each variant is `primebench serve --workers 1 <flags>` pinned to core 0; wrk (1 thread,
50 connections)
runs pinned to core 1. Variants are measured in turns (A B A B ...) so drift hits all alike.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(flags: str, port: int, server_cpu: str) -> subprocess.Popen[bytes]:
    argv = ["taskset", "-c", server_cpu, sys.executable, "-m", "primebench", "serve", "--port", str(port),
            "--workers", "1", *shlex.split(flags)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/prime?n=1", timeout=1) as answer:
                if answer.read() == b'{"n":1,"prime":2}':
                    return proc
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"variant {flags!r} did not start")


def wrk(port: int, seconds: int, generator_cpu: str) -> float:
    out = subprocess.run(
        ["taskset", "-c", generator_cpu, "wrk", "-t1", "-c50", f"-d{seconds}s", f"http://127.0.0.1:{port}/prime?n=1"],
        capture_output=True, text=True, timeout=seconds + 30, check=True,
    ).stdout
    return float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("variants", nargs="+")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--generator-cpu", default="1")
    args = parser.parse_args()
    ports = {v: free_port() for v in args.variants}
    procs = {v: start(v, ports[v], args.server_cpu) for v in args.variants}
    rates: dict[str, list[float]] = {v: [] for v in args.variants}
    try:
        for _ in range(args.rounds):
            for v in args.variants:
                rates[v].append(wrk(ports[v], args.seconds, args.generator_cpu))
    finally:
        for proc in procs.values():
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
    base = statistics.median(rates[args.variants[0]])
    print(f"{'variant':30} {'median req/s':>12} {'ratio':>6}  runs")
    for v in args.variants:
        med = statistics.median(rates[v])
        print(f"{v:30} {med:12.0f} {med / base:6.2f}  {' '.join(f'{r:.0f}' for r in rates[v])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
