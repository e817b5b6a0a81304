"""Where primebench's own Python spends a floor request (issue 18), part by part, in one process.

The lab's floor scenario measures the whole stack under load; a profile of it (py-spy,
docs/PERFORMANCE.md) shows which share is ours. This script times only our share: the RSGI
app coroutine driven to completion with a recording protocol, and each step of it alone,
with pyperf-style repeats (the median of `--repeat` runs of `--loops` calls each). It uses
the real engine (the prime table) and the real metrics, and the request wrk sends at the
floor: `GET /prime?n=1` with a Host header. It measures nothing of granian or the loop.

    uv run --frozen python benchmarks/app_hot_path.py [--loops 100000] [--repeat 7]

Figures are µs per call on the machine it runs on; compare rows of one run, not runs.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

from primebench.primes import prepare
from primebench.service import app as app_module
from primebench.service.app import PrimeApp
from primebench.service.cores.bridge import Proto, RequestHeaders, Scope
from primebench.service.metrics import Metrics
from primebench.service.params import n_from_query

METHODS = frozenset(("GET", "HEAD"))
from primebench.service.settings import Offload, Settings
from primebench.service.sizing import Sizing


def build_app() -> PrimeApp:
    settings = Settings(offload=Offload.NEVER)  # no pool: the floor's path never awaits one
    sizing = Sizing(
        workers=1, pool_processes=0, compute_threads=1, cpu_limit=1.0, memory_bytes=None
    )
    app = PrimeApp(settings, prepare(settings.engine, settings.table_size), sizing)
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


def drive(app: PrimeApp, scope: Scope, proto: Proto) -> Callable[[], object]:
    def call() -> object:
        coro = app(scope, proto)  # type: ignore[arg-type]
        try:
            coro.send(None)
        except StopIteration:
            return None
        raise AssertionError("the floor path awaited something")

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loops", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    headers = RequestHeaders([("host", "127.0.0.1:8000")])
    app, scope, proto = build_app(), Scope("GET", "/prime", "n=1", "1.1", headers), Proto()
    drive(app, scope, proto)()
    assert proto.response == (200, [("content-type", "application/json")], b'{"n":1,"prime":2}')
    metrics = app.metrics
    assert metrics is not None
    parts: list[tuple[str, Callable[[], object]]] = [
        ("whole app coroutine (GET /prime?n=1)", drive(app, scope, proto)),
        ("  an `async def` that returns at once, driven", _run_empty),
        ("  perf_counter()", time.perf_counter),
        ("  _head_size (request line + 1 stub header)", lambda: app_module._head_size(scope)),  # type: ignore[arg-type]
        ("  Host check (stub get_all + len)", lambda: len(scope.headers.get_all("host")) == 1),
        (
            "  method check + n_from_query",
            lambda: "GET" in METHODS and n_from_query("n=1", app.max_n),
        ),
        ("  table lookup + body bytes (_inline)", lambda: app._inline(1)),
        ("  metrics.observe", lambda: metrics.observe("/prime", 200, 1e-5)),
        ("  proto.response_bytes (recording stub)", lambda: proto.response_bytes(200, [], b"")),
    ]
    width = max(len(name) for name, _ in parts)
    print(f"{'step':<{width}}  µs/call (median of {args.repeat} x {args.loops:,})")
    for name, fn in parts:
        print(f"{name:<{width}}  {per_call_us(fn, args.loops, args.repeat):7.3f}")


async def _empty() -> None:
    return None


def _run_empty() -> None:
    try:
        _empty().send(None)
    except StopIteration:
        pass


if __name__ == "__main__":
    main()
