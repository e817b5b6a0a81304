"""The bounded process pool for heavy computations: the cure for the article's convoy effect.

Heavy answers (more than about a millisecond) run here, never on the event loop, so one
expensive request cannot stall cheap ones. Pool processes run at a lower CPU priority
(nice) so that, on a machine where they share cores with the event loop, the loop still
preempts them.

Admission knows the deadline, and decides at arrival, once: each admitted job carries an
estimate of its cost (a per-worker model of primecount's time, refined by every job it
sees and by every running job that has already taken longer than it thought), and a
request whose estimated wait for a pool process plus its own cost exceeds the deadline is
refused at once, with a Retry-After from that wait. Past `size + queue_depth` jobs
everything is refused too. An admitted job is never refused later: it is answered, or
gets `deadline-exceeded` if its own deadline passes (issue 20: queued jobs used to be
refused as `overloaded` seconds after they arrived, once the model learned more; a queue
that must shrink now shrinks by not admitting).

The pool is pebble's ProcessPool: a per-task timeout stops only the process that ran
over, and a pool process that dies (OOM killer, kill -9) fails only its own job, which
is retried once. (concurrent.futures' pool, used before, can only be replaced whole,
which broke every other job in it: 500s under floods.) Jobs wait for a free process
here, on the event loop, so each is handed to pebble with exactly its remaining time.

pebble and multiprocessing are imported, and the pool created, on a background thread
when a worker starts: no request waits for them, a cold start's first answer included
(issue 21, P6). A job admitted in those first milliseconds waits for the pool.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from primebench.primes import beyond
from primebench.service.cost import CostModel
from primebench.service.lifeline import die_with_parent
from primebench.service.problems import Problem

if TYPE_CHECKING:
    from pebble import ProcessFuture, ProcessPool

__all__ = ["CALIBRATION_N", "ComputePool", "CostModel"]

log = logging.getLogger("primebench.compute")

Job = Callable[[int], int]
# Admit a job only if its expected wait and cost fit in this share of the deadline: the
# estimate is a mean, and a job that finishes past the deadline has wasted its process.
ADMISSION_SHARE = 0.7
# For primecount: timed in each pool process as it starts, so the cost model begins from
# this machine's speed (p(10^11): ~0.04 s on one quiet core) rather than from a constant.
CALIBRATION_N = 10**11
# How often a job admitted before the pool exists looks again (the first ~50 ms of a worker).
_CREATED_POLL_S = 0.005


def _prepare_process(niceness: int, threads: int, warm: Job | None) -> None:
    """Runs once in each pool process before its first job."""
    die_with_parent()  # the forkserver exits when its worker dies, and takes us along
    os.nice(niceness)
    beyond.set_threads(threads)
    if warm is not None:
        warm(1)  # pay imports / JIT loading before the first real job


class _PoolError(Exception):
    """pebble refused a job: its pool is broken (or stopped)."""


def _stop(pool: ProcessPool) -> None:
    pool.stop()  # type: ignore[no-untyped-call]
    try:
        pool.join(5.0)
    except (TimeoutError, RuntimeError):
        log.warning("a broken compute pool did not stop within 5 s")


def _timed(job: Job, n: int) -> tuple[int, float]:
    """The answer and the seconds it took in the pool process (queueing excluded)."""
    started = time.perf_counter()
    return job(n), time.perf_counter() - started


class ComputePool:
    """`await pool.run(n)`: the answer, or a Problem (overloaded / deadline-exceeded)."""

    def __init__(
        self,
        job: Job,
        *,
        size: int,
        queue_depth: int,
        deadline_s: float,
        threads: int = 1,
        calibration_n: int | None = None,
        niceness: int = 10,
        on_change: Callable[[int, int], None] | None = None,
    ) -> None:
        self._job = job
        self._size = size
        self._capacity = size + queue_depth
        self._deadline_s = deadline_s
        self._threads = threads
        self._calibration_n = calibration_n
        self._niceness = niceness
        self._on_change = on_change
        self.cost = CostModel()
        self._admitted = 0
        self._running: list[_Running] = []  # the jobs holding a pool process
        self._queue: collections.deque[_Queued] = collections.deque()
        self._waiting: set[asyncio.Future[None]] = set()
        self._calibrations: list[float] = []  # appended by the warm-up thread, read on the loop
        self._pool: ProcessPool | None = None
        self._lock = threading.Lock()  # self._pool and self._closed, against the start thread
        self._closed = False
        self._created = threading.Event()  # no pool is being created
        self._created.set()

    def start(self) -> None:
        """Create the pool and start its processes on a background thread: no request waits."""
        with self._lock:
            self._closed = False
            self._created.clear()
        threading.Thread(target=self._create_then_warm, name="pool-start", daemon=True).start()

    def _create_then_warm(self) -> None:
        try:
            pool = self._create()
        except Exception:  # logged; heavy jobs then get deadline-exceeded
            log.exception("the compute pool could not be created")
            self._created.set()
            return
        with self._lock:
            closed = self._closed
            if not closed:
                self._pool = pool
            self._created.set()
        if closed:  # the worker stopped while the pool was being created
            _stop(pool)
        else:
            self._warm(pool)

    def _create(self) -> ProcessPool:
        """A pebble pool on a forkserver (its processes start at its first job)."""
        import multiprocessing

        from pebble import ProcessPool

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(
            [
                "primebench.service.pool_group",
                "primebench.primes",
                "primebench.service.compute",
            ]
        )
        return ProcessPool(
            max_workers=self._size,
            initializer=_prepare_process,
            initargs=(self._niceness, self._threads, self._job),
            context=context,
        )

    def _replace_broken(self, broken: ProcessPool) -> None:
        """A fresh pool for one that pebble declared broken, once however many jobs noticed.

        pebble gives up on its whole pool when a process dies with no job running (it may
        have died holding the lock of the pool's shared pipe): an idle pool process killed
        by the OOM killer, for example. The broken pool is stopped on a thread.
        """
        if self._pool is not broken:
            return
        fresh = self._create()  # pebble is imported by now: milliseconds, on the loop
        with self._lock:
            closed = self._closed
            if not closed:
                self._pool = fresh
        if not closed:
            threading.Thread(
                target=self._warm, args=(fresh,), name="pool-warm-up", daemon=True
            ).start()
        for pool in (broken, fresh) if closed else (broken,):
            threading.Thread(target=_stop, args=(pool,), name="pool-stop", daemon=True).start()

    def _warm(self, pool: ProcessPool) -> None:
        """Start the processes, and time one job in each (calibrating the cost model)."""
        if self._calibration_n is None:
            futures = [pool.schedule(int, (0,)) for _ in range(self._size)]
        else:
            timed: Callable[..., Any] = _timed
            futures = [
                pool.schedule(timed, (self._job, self._calibration_n)) for _ in range(self._size)
            ]
        for future in futures:
            try:
                result = future.result()
            except Exception:  # noqa: BLE001 - stopped before it started: nothing to learn
                return
            if isinstance(result, tuple):
                self._calibrations.append(result[1])

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the pool processes (running jobs are abandoned) and wait for them."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is None:
            return
        pool.stop()  # type: ignore[no-untyped-call]
        try:
            pool.join(timeout_s)
        except (TimeoutError, RuntimeError):
            log.warning("compute pool did not stop within %.1f s", timeout_s)

    @property
    def admitted(self) -> int:
        return self._admitted

    def expected_wait(self, now: float | None = None) -> float:
        """Seconds until a pool process is free for a job admitted now (0 if one is free),
        from the current cost model: running jobs counted whole, queued ones in full.

        A running job that has already run longer than the model expects teaches it at
        once (`at_least`): a burst is judged by what its first jobs are taking, not only by
        what earlier jobs took."""
        if len(self._running) < self._size:
            return 0.0
        if now is None:
            now = asyncio.get_running_loop().time()
        for job in self._running:
            self.cost.at_least(job.n, now - job.since)
        estimate = self.cost.estimate
        ahead = sum(estimate(job.n) for job in self._running)
        ahead += sum(estimate(q.n) for q in self._queue)
        return ahead / self._size

    async def run(self, n: int) -> int:
        while self._calibrations and self._calibration_n is not None:
            self.cost.calibrate(self._calibration_n, self._calibrations.pop())
        self._refuse_if_full(n)
        self._admit(+1)
        try:
            return await self._run_admitted(n)
        finally:
            self._admit(-1)

    def _refuse_if_full(self, n: int) -> None:
        """At arrival, the one decision: admitted (and then answered), or refused now."""
        if self._admitted >= self._capacity:
            raise Problem(
                "overloaded",
                f"all {self._size} pool processes are busy and {self._capacity - self._size} "
                "computations are queued; retry later",
                (("retry-after", str(max(1, math.ceil(self.expected_wait())))),),
            )
        wait = self.expected_wait()  # may teach the model first (see there)
        cost = self.cost.estimate(n)
        if wait + cost > self._deadline_s * ADMISSION_SHARE:
            raise self._no_room(n, cost, wait)

    def _no_room(self, n: int, cost: float, wait: float) -> Problem:
        return Problem(
            "overloaded",
            f"p({n}) would take about {cost:.2g} s after a wait of about {wait:.2g} s for a "
            f"pool process: too close to the deadline of {self._deadline_s:g} s; retry later",
            (("retry-after", str(max(1, math.ceil(wait)))),),
        )

    async def _run_admitted(self, n: int) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._deadline_s
        if len(self._running) >= self._size:
            turn: asyncio.Future[_Running | None] = loop.create_future()
            self._queue.append(_Queued(n, deadline, turn))
            timer = loop.call_later(self._deadline_s, _settle, turn, None)
            job = await turn  # resolves, never fails (see _settled)
            timer.cancel()
            if job is None:  # its own deadline passed while it waited
                raise self._deadline_problem(n)
        else:
            job = _Running(n, loop.time())
            self._running.append(job)
        try:
            await self._until_created(deadline)
            from concurrent.futures.process import BrokenProcessPool

            from pebble import ProcessExpired

            for attempt in (1, 2):
                pool = self._pool
                try:
                    return await self._one_try(n, deadline - loop.time())
                except ProcessExpired:
                    if attempt == 2:
                        raise
                    log.warning("a pool process died running p(%d); retrying once", n)
                except (BrokenProcessPool, _PoolError):
                    if attempt == 2 or pool is None:
                        raise
                    log.warning(
                        "the compute pool broke (a pool process died); retrying p(%d) once", n
                    )
                    self._replace_broken(pool)
            raise AssertionError("unreachable")
        finally:
            self._running.remove(job)
            self._next(loop.time())

    async def _until_created(self, deadline: float) -> None:
        """A job admitted while the worker's pool is still being created waits for it."""
        loop = asyncio.get_running_loop()
        while not self._created.is_set() and loop.time() < deadline:
            await asyncio.sleep(_CREATED_POLL_S)

    def _next(self, now: float) -> None:
        """Hand free pool processes to queued jobs, in order of arrival.

        A queued job was admitted, so it is never refused here: only one whose own deadline
        has already passed is let go (it gets `deadline-exceeded`)."""
        while self._queue and len(self._running) < self._size:
            queued = self._queue.popleft()
            if queued.turn.done():
                continue
            if now >= queued.deadline:
                queued.turn.set_result(None)
                continue
            job = _Running(queued.n, now)
            self._running.append(job)
            queued.turn.set_result(job)

    async def _one_try(self, n: int, remaining_s: float) -> int:
        if self._pool is None or remaining_s <= 0:
            raise self._deadline_problem(n)
        try:
            future = self._pool.schedule(_timed, (self._job, n), timeout=remaining_s)
        except RuntimeError as error:  # pebble: "Unexpected error within the Pool"
            raise _PoolError(str(error)) from None
        await self._settled(future)
        try:
            prime, seconds = future.result()
        except FutureTimeout:
            raise self._deadline_problem(n) from None  # pebble stopped that process alone
        self.cost.observe(n, seconds)
        return prime

    def _settled(self, future: ProcessFuture[tuple[int, float]]) -> asyncio.Future[None]:
        """An asyncio future that resolves, never fails, once `future` is done.

        Not `asyncio.wrap_future`: with granian's rust task implementation, a coroutine into
        which a failure was thrown (a pool process died) and that then awaits again (the
        retry) is closed with GeneratorExit: a 500. Here the failure is raised by
        `future.result()` inline, never thrown in. The asyncio future is held until it
        resolves (the rust task implementation keeps no reference to what a request awaits).

        It resolves with None, not with `future`: `future` holds this callback, which holds
        the asyncio future, so a result pointing back would make a reference cycle per
        heavy request (~2.7 KiB with pebble's lock and condition), freed only by a full
        garbage collection, which the worker's tuned collector almost never runs
        (issue 20: the worker's RSS grew without bound).
        """
        loop = asyncio.get_running_loop()
        settled: asyncio.Future[None] = loop.create_future()
        self._waiting.add(settled)
        settled.add_done_callback(self._waiting.discard)

        def settle() -> None:
            if not settled.done():
                settled.set_result(None)

        def from_pool_thread(_: object) -> None:
            try:
                loop.call_soon_threadsafe(settle)
            except RuntimeError:
                pass  # the worker's loop is closed: nobody waits any more

        future.add_done_callback(from_pool_thread)
        return settled

    def _deadline_problem(self, n: int) -> Problem:
        return Problem(
            "deadline-exceeded",
            f"computing p({n}) took longer than the deadline of {self._deadline_s:g} s",
            (("retry-after", str(max(1, math.ceil(self._deadline_s)))),),
        )

    def _admit(self, delta: int) -> None:
        self._admitted += delta
        if self._on_change is not None:
            running = min(self._admitted, self._size)
            self._on_change(running, self._admitted - running)


@dataclass(eq=False)
class _Running:
    n: int
    since: float  # loop time at which it got its pool process


@dataclass
class _Queued:
    n: int
    deadline: float  # loop time
    turn: asyncio.Future[_Running | None]  # its pool process, or None: its deadline passed


def _settle(future: asyncio.Future[_Running | None], value: _Running | None) -> None:
    if not future.done():
        future.set_result(value)
