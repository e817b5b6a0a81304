"""Interleaved A/B of server CPU time per request at the floor (n=1), robust to noisy neighbours.

Usage: ROUNDS=7 uv run python benchmarks/ab_cpu.py go "--task-impl rust" "--task-impl asyncio"
Each variant is `primebench serve --workers 1 <flags>` (or `go`: the go-seed contender binary),
pinned to core 0; wrk (1 thread, 100 connections, 3 s) pinned to core 1 drives each in turn.
CPU time (user + system of the server's whole process tree, from the kernel) divided by
requests answered measures the server's cost even when neighbours steal wall time.
"""

import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

variants = sys.argv[1:]


def port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(cmd, p):
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=str(Path(__file__).resolve().parents[1] / "contenders" / "go-seed")
        if cmd[-1] == "./bin/server"
        else None,
        env={**os.environ, "PORT": str(p)},
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{p}/prime?n=1", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("no start")


def cpu(proc):
    root = psutil.Process(proc.pid)
    t = 0
    for q in [root] + root.children(recursive=True):
        c = q.cpu_times()
        t += c.user + c.system
    return t


procs = {}
for v in variants:
    p = port()
    cmd = (
        ["taskset", "-c", "0", "./bin/server"]
        if v == "go"
        else [
            "taskset",
            "-c",
            "0",
            sys.executable,
            "-m",
            "primebench",
            "serve",
            "--port",
            str(p),
            "--workers",
            "1",
            *shlex.split(v),
        ]
    )
    procs[v] = (start(cmd, p), p)
res = {v: [] for v in variants}
rps = {v: [] for v in variants}
for r in range(int(os.environ.get("ROUNDS", "4"))):
    for v in variants:
        proc, p = procs[v]
        c0 = cpu(proc)
        out = subprocess.run(
            [
                "taskset",
                "-c",
                "1",
                "wrk",
                "-t1",
                "-c100",
                "-d3s",
                f"http://127.0.0.1:{p}/prime?n=1",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        c1 = cpu(proc)
        reqs = int(next(line for line in out.splitlines() if "requests in" in line).split()[0])
        res[v].append((c1 - c0) / reqs * 1e6)
        rps[v].append(reqs / 3)
for v in variants:
    os.killpg(procs[v][0].pid, signal.SIGTERM)
base = statistics.median(res[variants[0]])
for v in variants:
    m = statistics.median(res[v])
    print(
        f"{v:28} cpu/request {m:6.1f} us  ratio {m / base:5.2f}   "
        f"req/s med {statistics.median(rps[v]):8.0f}   runs {[round(x, 1) for x in res[v]]}"
    )
