"""Where primebench's own Python spends a floor request (issue 18), part by part.

The lab's floor scenario measures the whole stack under load; a profile of it (py-spy,
docs/PERFORMANCE.md) shows which share is ours. This script times only our share: the RSGI
app coroutine driven to completion with a recording protocol, and each step of it alone,
with pyperf-style repeats (the median of `--repeat` runs of `--loops` calls each). It uses
the real engine (the prime table) and the real metrics, and the request wrk sends at the
floor: `GET /prime?n=1` with a Host header and nothing else.

Two sources of the request:
- by default, the bridge's pure-Python Scope and RequestHeaders (service/cores/bridge.py),
  in this process: quick, but its getters are slot reads and its `get_all` is Python;
- `--granian`: granian's own request objects. granian serves this module on 127.0.0.1,
  one raw wrk-like request arrives, and the timing runs inside the worker on the real
  RSGIHTTPScope (each attribute read is a Rust getter: `scope.headers` copies the header
  map, `scope.path` decodes and allocates) with a recording protocol; the table is the
  answer. Neither mode measures granian's I/O or the loop.

    uv run --frozen python benchmarks/app_hot_path.py [--granian] [--loops 100000] [--repeat 7]

`--src DIR` times the package from another checkout's `src` (a before/after pair; rows
that checkout lacks are skipped). Figures are µs per call on the machine it runs on:
compare rows of one run, or interleaved runs, not runs of different days.
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

from primebench.primes import prepare
from primebench.service import app as app_module
from primebench.service.app import PrimeApp
from primebench.service.cores.bridge import Proto, RequestHeaders, Scope
from primebench.service.metrics import Metrics
from primebench.service.params import n_from_query
from primebench.service.settings import Offload, Settings
from primebench.service.sizing import Sizing

METHODS = frozenset(("GET", "HEAD"))
_LOOPS_ENV, _REPEAT_ENV, _BEFORE_ENV = "HOT_PATH_LOOPS", "HOT_PATH_REPEAT", "HOT_PATH_BEFORE"
_ANSWER = (200, [("content-type", "application/json")], b'{"n":1,"prime":2}')


def build_app(cls: type[PrimeApp] = PrimeApp) -> PrimeApp:
    settings = Settings(offload=Offload.NEVER)  # no pool: the floor's path never awaits one
    sizing = Sizing(
        workers=1, pool_processes=0, compute_threads=1, cpu_limit=1.0, memory_bytes=None
    )
    app = cls(settings, prepare(settings.engine, settings.table_size), sizing)
    app.metrics = Metrics(None, {})
    app.ready = True
    return app


def per_call_us(fn: Callable[[], object], loops: int, repeat: int) -> float:
    """The median over `repeat` runs of the mean time of one call, in µs."""
    runs = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        runs.append((time.perf_counter() - started) / loops * 1e6)
    return statistics.median(runs)


def drive(app: PrimeApp, scope: Any, proto: Proto) -> Callable[[], object]:
    def call() -> object:
        coro = app(scope, proto)
        try:
            coro.send(None)
        except StopIteration:
            return None
        raise AssertionError("the floor path awaited something")

    return call


def steps(app: PrimeApp, scope: Any, proto: Proto) -> list[tuple[str, Callable[[], object]]]:
    """The rows: the whole coroutine, then its parts, on `scope` (a stub or granian's)."""
    metrics = app.metrics
    assert metrics is not None
    headers = scope.headers
    rows: list[tuple[str, Callable[[], object]]] = [
        ("whole app coroutine (GET /prime?n=1)", drive(app, scope, proto)),
        ("  an `async def` that returns at once, driven", _run_empty),
        ("  perf_counter()", time.perf_counter),
        ("  scope.headers (granian's getter copies the map)", lambda: scope.headers),
        ("  scope.path", lambda: scope.path),
        ("  scope.method + query_string + http_version",
         lambda: (scope.method, scope.query_string, scope.http_version)),
        ("  headers.items()", headers.items),
        ("  headers.get_all('host')", lambda: headers.get_all("host")),
        ("  method check + n_from_query",
         lambda: "GET" in METHODS and n_from_query("n=1", app.max_n)),
        ("  table lookup + body bytes (_inline)", lambda: app._inline(1)),
        ("  proto.response_bytes (recording stub)", lambda: proto.response_bytes(200, [], b"")),
    ]  # fmt: skip
    head_size: Any = app_module._head_size
    if head_size.__code__.co_argcount == 1:  # the checkout before the head check took locals
        rows.insert(3, ("  _head_size(scope)", lambda: head_size(scope)))
    else:
        rows.insert(3, ("  _head_size(method, path, query, headers)",
                        lambda: head_size("GET", "/prime", "n=1", headers)))  # fmt: skip
    if hasattr(app, "_floor_bodies"):  # the checkout before it had no floor bodies
        bodies = app._floor_bodies
        rows.append(("  floor body lookup (a query asked before)", lambda: bodies.get("n=1")))
    if hasattr(metrics, "observe"):
        rows.append(("  metrics.observe", lambda: metrics.observe("/prime", 200, 1e-5)))
    if hasattr(metrics, "observe_floor"):
        rows.append(("  metrics.observe_floor", lambda: metrics.observe_floor(1e-5)))
    return rows


def paired(a: Callable[[], object], b: Callable[[], object], loops: int, repeat: int) -> str:
    """A and B timed in turns (A B B A ...) on the same request: their medians and B / A."""
    a_runs: list[float] = []
    b_runs: list[float] = []
    for i in range(repeat):
        for fn, runs in ((a, a_runs), (b, b_runs)) if i % 2 == 0 else ((b, b_runs), (a, a_runs)):
            runs.append(per_call_us(fn, loops, 1))
    ratios = sorted(after / before for before, after in zip(a_runs, b_runs, strict=True))
    return (
        f"whole app coroutine, before / after, interleaved x {repeat}:"
        f" {statistics.median(a_runs):.3f} / {statistics.median(b_runs):.3f} µs;"
        f" after / before {statistics.median(ratios):.3f}"
        f" (range {ratios[0]:.3f}-{ratios[-1]:.3f});"
        f" fastest runs {min(a_runs):.3f} / {min(b_runs):.3f} µs\n"
    )


def _before_app(path: str) -> type[PrimeApp]:
    """PrimeApp from another checkout's app.py, loaded beside this one (it uses our other modules)."""
    spec = importlib.util.spec_from_file_location("app_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cls: type[PrimeApp] = module.PrimeApp
    return cls


def report(rows: list[tuple[str, Callable[[], object]]], loops: int, repeat: int) -> str:
    width = max(len(name) for name, _ in rows)
    lines = [f"{'step':<{width}}  µs/call (median of {repeat} x {loops:,})"]
    for name, fn in rows:
        lines.append(f"{name:<{width}}  {per_call_us(fn, loops, repeat):7.3f}")
    return "\n".join(lines) + "\n"


async def on_granian(scope: Any, proto: Any) -> None:
    """The RSGI app granian serves in `--granian` mode: time the steps on this very request."""
    app, recorder = build_app(), Proto()
    drive(app, scope, recorder)()
    assert recorder.response == _ANSWER, recorder.response
    loops, repeat = int(os.environ[_LOOPS_ENV]), int(os.environ[_REPEAT_ENV])
    table = report(steps(app, scope, recorder), loops, repeat)
    if before := os.environ.get(_BEFORE_ENV):
        old = build_app(_before_app(before))
        table += paired(drive(old, scope, recorder), drive(app, scope, recorder), loops, repeat)
    proto.response_str(200, [("content-type", "text/plain; charset=utf-8")], table)


def _on_granian(loops: int, repeat: int, port: int, src: Path | None, before: Path | None) -> str:
    env = dict(os.environ, **{_LOOPS_ENV: str(loops), _REPEAT_ENV: str(repeat)})
    if before:
        env[_BEFORE_ENV] = str(before.resolve())
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parent)] + ([str(src.resolve())] if src else [])
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "rsgi", "--workers", "1",
         "--host", "127.0.0.1", "--port", str(port), "--no-ws", "app_hot_path:on_granian"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=600)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("granian did not start") from None
                time.sleep(0.05)
        with conn:  # exactly wrk's request: the request line and a Host header
            conn.sendall(f"GET /prime?n=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            reply = b""
            while b"\r\n\r\n" not in reply or not _complete(reply):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
        return reply.split(b"\r\n\r\n", 1)[1].decode()
    finally:
        os.killpg(server.pid, 15)
        server.wait(10)


def _complete(reply: bytes) -> bool:
    head, _, body = reply.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loops", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--granian", action="store_true", help="time on granian's request objects")
    parser.add_argument("--src", type=Path, help="time the package from this src directory")
    parser.add_argument("--port", type=int, default=18_412)
    parser.add_argument(
        "--before", type=Path, help="another app.py: its whole coroutine and ours in turns"
    )
    args = parser.parse_args()
    if args.granian or args.src:
        if not args.granian:  # re-run in a process that imports the other checkout
            env = dict(os.environ, PYTHONPATH=str(args.src.resolve()))
            argv = [sys.executable, __file__, "--loops", str(args.loops), "--repeat",
                    str(args.repeat)]  # fmt: skip
            if args.before:
                argv += ["--before", str(args.before.resolve())]
            raise SystemExit(subprocess.run(argv, env=env, check=False).returncode)
        print(_on_granian(args.loops, args.repeat, args.port, args.src, args.before), end="")
        return
    headers = RequestHeaders([("host", "127.0.0.1:8000")])
    app, scope, proto = build_app(), Scope("GET", "/prime", "n=1", "1.1", headers), Proto()
    drive(app, scope, proto)()
    assert proto.response == _ANSWER
    print(report(steps(app, scope, proto), args.loops, args.repeat), end="")
    if args.before:
        old = build_app(_before_app(str(args.before)))
        both = drive(old, scope, proto), drive(app, scope, proto)
        print(paired(*both, args.loops, args.repeat), end="")


async def _empty() -> None:
    return None


def _run_empty() -> None:
    try:
        _empty().send(None)
    except StopIteration:
        pass


if __name__ == "__main__":
    main()
