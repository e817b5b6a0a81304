"""What one floor request costs in the own core's Python, beside the bare app (issue 18, P3-core).

The floor scenario's P3-core arm compares `primebench serve` with the bare app on the same
core (benchmarks/variants/bare-httptools) under wrk, where the kernel's share (reads,
writes, wake-ups) is most of each request and the machine's noise is ±10 % or more. This
script takes the network away: the request wrk sends at the floor (`GET /prime?n=1` with a
Host header) is fed to a connection's `data_received` in a loop, and its answer goes to a
transport that only counts writes. What is left is the Python of each side: llhttp's
callbacks, the service's checks, metrics and answer (`primebench`), or the bare app's
parse-and-answer (`bare`). Both sides run the real code: the service's app with its real
engine and metrics, and the variant's own module.

    uv run --frozen python benchmarks/core_hot_path.py [--loops 200000] [--rounds 7]
    uv run --frozen python benchmarks/core_hot_path.py --against ../other-checkout
    uv run --frozen python benchmarks/core_hot_path.py --opcodes

`--opcodes` counts instead of timing: the bytecodes each side's Python runs per request,
by function (sys.settrace's opcode events, over 10 requests after a warm-up). The count
does not depend on the machine's noise, so it shows a change of a few percent that the
timings cannot; the transport's `write` and `is_closing` are this script's (uvloop's are C).

Sides are timed in turns (ABBA...) in fresh subprocesses each round, and each figure is the
median over rounds of the fastest of three timings; `--against DIR` adds the `primebench`
side from another checkout's `src` (a before/after pair). Figures are µs per request on the
machine it runs on: compare rows of one run, not runs of different days.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REQUEST = b"GET /prime?n=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
ANSWER_BODY = b'{"n":1,"prime":2}'
BARE_APP = Path(__file__).parent / "variants" / "bare-httptools" / "app.py"


class CountingTransport:
    """The transport a connection writes to: counts answers, keeps the last."""

    def __init__(self) -> None:
        self.writes = 0
        self.last = b""

    def write(self, data: bytes) -> None:
        self.writes += 1
        self.last = data

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        raise AssertionError("a floor request closed its connection")

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


def primebench_side() -> tuple[Callable[[bytes], None], CountingTransport]:
    """A connection of the service's own core, serving the real app, engine and metrics."""
    import uvloop
    from app_hot_path import build_app  # the app app_hot_path times: no pool, real metrics

    from primebench.service.http1 import Connection, Core
    from primebench.service.settings import Settings

    settings = Settings()
    app = build_app()
    loop = uvloop.new_event_loop()
    core = Core(
        app,
        socket.socket(),
        loop,
        max_connections=100,
        header_timeout_s=settings.header_timeout,
        max_head_bytes=2 * settings.max_header_bytes,
        keep_alive=True,
    )
    core.start()  # the first tick sets the date header; the listener is never read here
    conn = Connection(core)
    transport = CountingTransport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    return conn.data_received, transport


def bare_side() -> tuple[Callable[[bytes], None], CountingTransport]:
    """A connection of the bare app (the P3-core variant), loaded from its file."""
    spec = importlib.util.spec_from_file_location("bare_httptools", BARE_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    conn = module.Connection()
    transport = CountingTransport()
    conn.connection_made(transport)
    return conn.data_received, transport


def time_side(side: str, loops: int) -> float:
    """µs per request: the fastest of three timings of `loops` requests, after a warm-up."""
    feed, transport = primebench_side() if side == "primebench" else bare_side()
    for _ in range(1000):
        feed(REQUEST)
    assert transport.last.endswith(ANSWER_BODY), transport.last
    gc.collect()
    gc.freeze()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(loops):
            feed(REQUEST)
        best = min(best, time.perf_counter() - started)
    assert transport.writes == 1000 + 3 * loops  # one answer per request, none lost
    return best / loops * 1e6


def count_opcodes(side: str, requests: int = 10) -> dict[str, float]:
    """Bytecodes run per request, by function name (a deterministic measure of the Python)."""
    feed, _ = primebench_side() if side == "primebench" else bare_side()
    for _ in range(100):
        feed(REQUEST)
    counts: dict[str, int] = {}

    def trace(frame: Any, event: str, arg: object) -> Any:
        if event == "call":
            frame.f_trace_opcodes = True
        elif event == "opcode":
            name = frame.f_code.co_name
            counts[name] = counts.get(name, 0) + 1
        return trace

    sys.settrace(trace)
    try:
        for _ in range(requests):
            feed(REQUEST)
    finally:
        sys.settrace(None)
    return {name: count / requests for name, count in counts.items()}


def print_opcodes() -> None:
    for side in ("bare", "primebench"):
        counts = count_opcodes(side)
        parts = ", ".join(
            f"{name} {n:.0f}" for name, n in sorted(counts.items(), key=lambda x: -x[1])
        )
        print(f"{side}: {sum(counts.values()):.0f} bytecodes per request ({parts})")


def _one(side: str, loops: int, src: Path | None) -> float:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src.resolve())
    out = subprocess.run(
        [sys.executable, __file__, "--child", side, "--loops", str(loops)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loops", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--against", type=Path, help="another checkout: its primebench side")
    parser.add_argument("--opcodes", action="store_true", help="count bytecodes per request")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.opcodes:
        print_opcodes()
        return
    if args.child:
        print(time_side(args.child, args.loops))
        return
    sides: list[tuple[str, str, Path | None]] = [
        ("bare", "bare app (bare-httptools)", None),
        ("primebench", "primebench (this checkout)", None),
    ]
    if args.against:
        sides.append(("primebench", f"primebench ({args.against})", args.against / "src"))
    figures: dict[str, list[float]] = {label: [] for _, label, _ in sides}
    for index in range(args.rounds):
        order = sides if index % 2 == 0 else sides[::-1]
        for side, label, src in order:
            figures[label].append(_one(side, args.loops, src))
    bare = figures[sides[0][1]]
    print(f"{'side':<44} µs/request (median of {args.rounds} rounds)  × bare, per round")
    for _, label, _ in sides:
        ratios = sorted(b / x for b, x in zip(bare, figures[label], strict=True))
        print(
            f"{label:<44} {statistics.median(figures[label]):6.3f}"
            f"  {statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})"
        )


if __name__ == "__main__":
    main()
