"""Profile primebench's floor path under wrk and say where the serving thread's time goes (issue 18).

Starts `primebench serve --workers 1` pinned to one core, drives `/prime?n=1` with wrk
pinned to the other, records the worker with `py-spy record --native` (raw stacks), and
sorts each sample of the worker's Python thread into one owner, walking from the root:

- our app: any stack through `PrimeApp.__call__` (split by the deepest primebench frame);
- our timers: the drain watcher's poll and the metrics publisher;
- granian's asyncio bridge: `granian/_futures.py` (a Task per request, its callbacks);
- waiting in epoll: the loop with nothing to do;
- the loop itself: uvloop/libuv and granian's Rust calls made from the loop thread.

Samples of granian's Rust threads (no Python frame) are counted apart. Shares are of the
samples py-spy took, so they hold on a busy machine better than any rate does; the rate wrk
measured is printed for context only.

    uv run --frozen python benchmarks/profile_floor.py --out benchmarks/profiles/floor-<label>.txt

`--src DIR` serves the package from another checkout's `src` (for a before/after pair).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY_SPY = Path(sys.executable).with_name("py-spy")
_LINE = re.compile(r":\d+\)")
_IDLE = "waiting in epoll (the loop has nothing to do)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="raw stacks (py-spy's format)")
    parser.add_argument("--src", type=Path, help="serve primebench from this src directory")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--port", type=int, default=18_411)
    args = parser.parse_args()
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = str(args.src.resolve())
    server = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, "-m", "primebench", "serve", "--workers", "1",
         "--port", str(args.port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{args.port}/prime?n=1"
        _wait_ready(url)
        worker = _worker_pid(server.pid)
        wrk = subprocess.Popen(
            ["taskset", "-c", "1", "wrk", "-t1", f"-c{args.connections}",
             f"-d{args.seconds + 4}s", url],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(2)
        subprocess.run(
            [str(PY_SPY), "record", "--native", "-r", str(args.rate), "-d", str(args.seconds),
             "-p", str(worker), "-f", "raw", "-o", str(args.out)],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wrk_out, _ = wrk.communicate(timeout=args.seconds + 30)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", wrk_out)
    print(f"wrk -c{args.connections}: {rate.group(1) if rate else '?'} req/s while profiled")
    print(summary(args.out))


def summary(raw: Path) -> str:
    owners: collections.Counter[str] = collections.Counter()
    rust = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_LINE.sub(")", f) for f in stack.split(";")]
        if not any("run_forever" in f for f in frames):
            rust += int(count)
            continue
        owners[_owner(frames)] += int(count)
    loop = sum(owners.values())
    busy = loop - owners[_IDLE]
    rows = [
        f"| {share / loop:6.1%} | {'' if owner == _IDLE else f'{share / busy:6.1%}'} | {owner} |"
        for owner, share in owners.most_common()
    ]
    head = (
        f"{loop} samples of the worker's Python (loop) thread, {rust} of its other threads"
        " (granian's Rust runtime)\n\n| share | of busy samples | owner |\n|---|---|---|"
    )
    return "\n".join([head, *rows])


def _owner(frames: list[str]) -> str:
    if any("PrimeApp.__call__" in f for f in frames):
        ours = [f for f in frames if "primebench/" in f]
        deepest = ours[-1].split(" (")[0] if ours else "?"
        return f"our app: {deepest}"
    if any(
        "primebench/service/drain.py" in f or "primebench/service/metrics.py" in f for f in frames
    ):
        return "our timers (drain watcher, metrics publisher)"
    if any("granian/_futures.py" in f for f in frames):
        return "granian's asyncio bridge (a Task per request)"
    if frames[-1].startswith("epoll_pwait"):
        return _IDLE
    return "the loop itself (uvloop, libuv, granian calls)"


def _wait_ready(url: str) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the service did not answer within 30 s")


def _worker_pid(main_pid: int) -> int:
    """The serving worker: the child of granian's main process that runs the app."""
    children = Path(f"/proc/{main_pid}/task/{main_pid}/children").read_text().split()
    for child in children:
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"primebench" in cmdline:
            return int(child)
    raise SystemExit(f"no worker under pid {main_pid}")


if __name__ == "__main__":
    main()
