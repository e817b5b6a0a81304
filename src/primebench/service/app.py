"""The HTTP edge: an RSGI application (granian's native interface, no framework in the hot path).

Routing, parsing and error mapping are a few branches; the work is in `primebench.primes`
(answers) and `compute` (the pool). Answers are built as bytes directly: the body is two
integers, so a JSON encoder would only add cost.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from time import perf_counter
from typing import Any, NoReturn, Protocol

from mypy_extensions import mypyc_attr

from primebench.primes import Engine, EngineName
from primebench.service import metrics as metrics_module
from primebench.service import openapi
from primebench.service.answers import AnswerCache
from primebench.service.compute import CALIBRATION_N, ComputePool
from primebench.service.drain import DrainWatcher
from primebench.service.metrics import Metrics
from primebench.service.params import InvalidN, n_from_path, n_from_query
from primebench.service.problems import Problem, render
from primebench.service.settings import Offload, Settings
from primebench.service.sizing import Sizing

__all__ = ["PrimeApp", "RequestScope"]

log = logging.getLogger("primebench.service")

Headers = list[tuple[str, str]]
Answer = tuple[int, Headers, bytes]  # status, headers, body

_JSON = [("content-type", "application/json")]
_CLOSE = ("connection", "close")
_JSON_CLOSE = [*_JSON, _CLOSE]
_ALLOW = (("allow", "GET, HEAD"),)
_STATUS_OK = b'{"status":"ok"}'
_METHODS = frozenset(("GET", "HEAD"))
# At most this many remembered floor answers per worker, each for a query of at most
# _FLOOR_QUERY_CHARS (leading zeros can make a valid query 64 KB long): under 200 KB.
FLOOR_BODIES = 1024
_FLOOR_QUERY_CHARS = 32


class RequestHeaders(Protocol):
    def items(self) -> list[tuple[str, str]]: ...


class Scope(Protocol):
    proto: str
    http_version: str
    method: str
    path: str
    query_string: str

    @property
    def headers(self) -> RequestHeaders: ...


class RequestScope:
    """A concrete `Scope`, for the lab's bridges (service/cores): `path` percent-decoded, as
    granian gives it. The own core passes a request's parts to `PrimeApp.answer` instead."""

    __slots__ = ("headers", "http_version", "method", "path", "proto", "query_string")

    def __init__(
        self,
        method: str,
        path: str,
        query_string: str,
        http_version: str,
        headers: RequestHeaders,
    ) -> None:
        self.proto = "http"
        self.method = method
        self.path = path
        self.query_string = query_string
        self.http_version = http_version
        self.headers = headers


class HTTPProtocol(Protocol):
    def response_bytes(self, status: int, headers: Headers, body: bytes) -> None: ...


# Compiled by mypyc (hatch_build.py); the lab's bridges (service/cores/bridge.py) subclass it.
@mypyc_attr(allow_interpreted_subclasses=True)
class PrimeApp:
    """One per worker process. The engine is prepared before the worker starts (shared by fork)."""

    def __init__(self, settings: Settings, engine: Engine, sizing: Sizing) -> None:
        self.settings = settings
        self.engine = engine
        self.sizing = sizing
        self.cache = AnswerCache(settings.answer_cache) if settings.answer_cache else None
        self.draining = False
        self.max_n = min(settings.max_n, engine.max_n)
        self.metrics: Metrics | None = None
        self.pool: ComputePool | None = None
        self.ready = False
        self.last_arrival = 0.0  # perf_counter() when the latest request began (for the drain)
        self._max_head = settings.max_header_bytes
        self._openapi = openapi.render(self.max_n)
        self._table_size = engine.table_size
        self._table = engine.table
        self._inline_max_n = {
            Offload.AUTO: engine.cheap_max_n,
            Offload.NEVER: self.max_n,
            Offload.ALWAYS: 0,
        }[settings.offload]
        self._floor_max_n = min(self._table_size, self._inline_max_n)  # answered from the table
        # The answers to recent /prime queries that the table answers, by raw query string
        # (the bytes as sent, so n=7 and n=07 are two entries): a repeated query skips
        # parsing n and formatting the body. p(n) never changes, so an entry never goes stale.
        self._floor_bodies: dict[str, bytes] = {}

    # RSGI lifecycle: called by granian in the worker process, on its event loop.
    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        directory = os.environ.get(metrics_module.DIR_ENV)
        sizing = self.sizing
        self.metrics = Metrics(
            Path(directory) if directory else None,
            {
                "workers": sizing.workers,
                "pool_processes": sizing.pool_processes,
                "compute_threads": sizing.compute_threads,
                "cpu_limit": sizing.cpu_limit,
            },
        )
        if self._inline_max_n < self.max_n:
            self.pool = ComputePool(
                self.engine.offloaded,
                size=sizing.pool_processes,
                queue_depth=self.settings.queue_depth,
                deadline_s=self.settings.deadline,
                threads=sizing.compute_threads,
                calibration_n=CALIBRATION_N if self.engine.name is EngineName.FAST else None,
                on_change=self.metrics.heavy,
            )
            self.pool.start()
        self.metrics.start_publishing(loop)
        if directory:
            DrainWatcher(
                Path(directory), self.settings.port, self._start_draining, self._last_arrival
            ).start(loop)
        # Everything allocated so far lives as long as the worker: keep the cyclic GC from
        # re-scanning it, and let young collections run less often (requests make no cycles).
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        self.ready = True

    def _start_draining(self) -> None:
        """The main process got SIGTERM (service/drain.py): readiness 503, Connection: close."""
        self.draining = True
        self.ready = False

    def _last_arrival(self) -> float:
        return self.last_arrival

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.ready = False
        if self.metrics is not None:
            self.metrics.stop_publishing()
        if self.pool is not None:
            self.pool.close()

    async def __call__(self, scope: Scope, proto: HTTPProtocol) -> None:
        """RSGI (granian): the answer, awaited only when it needs the compute pool."""
        answer = self.respond(scope)
        if not isinstance(answer, tuple):
            answer = await answer
        proto.response_bytes(*answer)

    def respond(self, scope: Scope) -> Answer | Coroutine[Any, Any, Answer]:
        """The answer to an RSGI scope (granian, the lab's bridges): see `answer`.

        Each scope attribute is read once: under granian each read is a Rust getter that
        allocates (`headers` copies the whole header map).
        """
        method = scope.method
        path = scope.path
        query = scope.query_string
        head, hosts = _head_size(method, path, query, scope.headers)
        return self.answer(method, path, query, scope.http_version == "1.1", head, hosts)

    def answer(
        self, method: str, path: str, query: str, http11: bool, head: int, hosts: int
    ) -> Answer | Coroutine[Any, Any, Answer]:
        """The answer to one request, or, when it needs the compute pool, a coroutine of it.

        Everything but the pool is answered here, synchronously: the own core
        (service/http1.py) writes a table answer without creating a coroutine or a task,
        and each coroutine layer costs a measurable share of a floor request
        (docs/PERFORMANCE.md). The core passes the parts of the request it parsed, the
        head's size as on the wire and its count of Host fields (`_head_size` defines both),
        so no scope or header list is built for a request.
        """
        started = self.last_arrival = perf_counter()
        route = path
        try:
            if head > self._max_head:
                raise Problem(
                    "header-too-large",
                    f"the request head is {head} bytes; the limit is {self._max_head}"
                    " (--max-header-bytes)",
                )
            if hosts != 1 and http11:
                _refuse_host(hosts)
            if path == "/prime":
                if method not in _METHODS:
                    _refuse_method(method)
                body = self._floor_bodies.get(query)
                if body is not None:  # the floor: counted apart (metrics.observe_floor)
                    if self.metrics is not None:
                        self.metrics.observe_floor(perf_counter() - started)
                    return 200, _JSON_CLOSE if self.draining else _JSON, body
                n = self._n_of_query(query)
                if n > self._inline_max_n:
                    return self._later(route, path, started, self._pooled(n))
                body = self._inline_remembered(n, query)
            elif path.startswith("/prime/") and "/" not in path[7:]:
                route = "/prime/{n}"
                n = _parse(method, n_from_path, path[7:], self.max_n)
                if n > self._inline_max_n:
                    return self._later(route, path, started, self._pooled(n))
                body = self._inline(n)
            else:
                status, headers, body = self._operational(method, path)
                return self._done(route, started, status, headers, body)
        except Problem as problem:
            return self._refused(path, started, problem)
        except Exception:  # noqa: BLE001 - _failed logs it with its traceback, answers 500
            return self._failed(path, started)
        if self.metrics is not None:
            self.metrics.observe(route, 200, perf_counter() - started)
        return 200, _JSON_CLOSE if self.draining else _JSON, body

    async def _later(
        self, route: str, path: str, started: float, work: Coroutine[Any, Any, bytes]
    ) -> Answer:
        """The answer of a request that waits for the compute pool."""
        try:
            body = await work
        except Problem as problem:
            return self._refused(path, started, problem)
        except Exception:  # noqa: BLE001 - _failed logs it with its traceback, answers 500
            return self._failed(path, started)
        return self._done(route, started, 200, _JSON, body)

    def _refused(self, path: str, started: float, problem: Problem) -> Answer:
        if self.metrics is not None:
            self.metrics.rejected(problem.slug)
        return self._done(_route_of(path), started, *render(problem, path))

    def _failed(self, path: str, started: float) -> Answer:
        log.exception("unexpected error answering %s", path[:200])
        problem = Problem("internal-error", "unexpected error; it was logged")
        return self._done(_route_of(path), started, *render(problem, path))

    def _done(
        self, route: str, started: float, status: int, headers: Headers, body: bytes
    ) -> Answer:
        if self.draining:
            headers = [*headers, _CLOSE]  # clients reconnect, to another instance behind a balancer
        if self.metrics is not None:
            self.metrics.observe(route, status, perf_counter() - started)
        return status, headers, body

    def _n_of_query(self, query: str) -> int:
        try:
            return n_from_query(query, self.max_n)
        except InvalidN as exc:
            raise Problem("invalid-n", str(exc)) from None

    def _inline_remembered(self, n: int, query: str) -> bytes:
        """The table or inline answer to `/prime?{query}`, remembered for a floor query.

        Remembered by raw query string (the bytes as sent, so n=7 and n=07 are two
        entries): a repeated query skips parsing n and formatting the body. p(n) never
        changes, so an entry never goes stale.
        """
        body = self._inline(n)
        if n <= self._floor_max_n and len(query) <= _FLOOR_QUERY_CHARS:
            bodies = self._floor_bodies
            if len(bodies) >= FLOOR_BODIES:
                bodies.clear()  # bounded; the queries asked since then fill it again
            bodies[query] = body
        return body

    def _inline(self, n: int) -> bytes:
        if n <= self._table_size:
            prime = self._table[n - 1]  # the engine's own table, without two calls around it
            by = "table"
        else:
            prime = self.engine.inline(n)
            by = "inline"
        if self.metrics is not None:
            self.metrics.answered_by(by)
        return b'{"n":%d,"prime":%d}' % (n, prime)

    async def _pooled(self, n: int) -> bytes:
        assert self.pool is not None and self.metrics is not None
        cache = self.cache
        if cache is not None:
            remembered = cache.get(n)
            if remembered is not None:
                self.metrics.cache_hits += 1
                self.metrics.answered_by("cache")
                return b'{"n":%d,"prime":%d}' % (n, remembered)
            self.metrics.cache_misses += 1
        prime = await self.pool.run(n)
        if cache is not None:
            cache.put(n, prime)
        self.metrics.answered_by("pool")
        return b'{"n":%d,"prime":%d}' % (n, prime)

    def _operational(self, method: str, path: str) -> Answer:
        if path == "/healthz":
            _check_method(method)
            return 200, _JSON, _STATUS_OK
        if path == "/readyz":
            _check_method(method)
            if not self.ready:
                raise Problem(
                    "not-ready", "the engine is not ready, or the server is shutting down"
                )
            return 200, _JSON, _STATUS_OK
        if path == "/metrics":
            _check_method(method)
            assert self.metrics is not None
            return (
                200,
                [("content-type", metrics_module.CONTENT_TYPE)],
                metrics_module.render_all(self.metrics),
            )
        if path == "/openapi.json":
            _check_method(method)
            return 200, _JSON, self._openapi
        raise Problem("not-found", "no such resource; see /openapi.json")


def _parse(method: str, parser: Callable[[str, int], int], text: str, max_n: int) -> int:
    _check_method(method)
    try:
        return parser(text, max_n)
    except InvalidN as exc:
        raise Problem("invalid-n", str(exc)) from None


def _refuse_host(hosts: int) -> NoReturn:
    """RFC 9112 section 3.2: an HTTP/1.1 request carries exactly one Host header, else 400."""
    raise Problem("bad-host", f"an HTTP/1.1 request needs exactly one Host header; it had {hosts}")


def _check_method(method: str) -> None:
    if method not in _METHODS:
        _refuse_method(method)


def _refuse_method(method: str) -> NoReturn:
    raise Problem(
        "method-not-allowed", f"method {method[:20]} is not allowed here; use GET or HEAD", _ALLOW
    )


def _head_size(method: str, path: str, query: str, headers: RequestHeaders) -> tuple[int, int]:
    """The request head's size as on the wire, and how many Host fields it holds.

    The size: request line, `name: value\\r\\n` each, CRLF. granian's buffer limit
    (hyper's max_buf_size) is a buffer size, not a head limit, so `--max-header-bytes` is
    enforced here. The target counts as granian gives it (the path percent-decoded, so
    never longer than sent); a header value that is not visible ASCII is not shown by
    granian (RSGIHeaders.items) and is bounded only by the buffer limit. The Host fields
    are counted in the same pass: granian's `get_all("host")` shows the same fields (it
    skips the same values) and costs one more call.
    """
    # method SP target ["?" query] SP "HTTP/1.1" CRLF, and the final CRLF
    size = len(method) + len(path) + len(query) + 15
    hosts = 0
    for name, value in headers.items():
        size += len(name) + len(value) + 4
        if name == "host":
            hosts += 1
    return size, hosts


def _route_of(path: str) -> str:
    if path == "/prime":
        return path
    if path.startswith("/prime/") and "/" not in path[7:]:
        return "/prime/{n}"
    return path if path in metrics_module.ROUTES else "other"
