"""The bounded process pool for heavy computations: the cure for the article's convoy effect.

Heavy answers (more than about a millisecond) run here, never on the event loop, so one
expensive request cannot stall cheap ones. Admission is bounded (pool size + queue
depth); past that a request is refused at once (503 + Retry-After) instead of waiting
unboundedly. Pool processes run at a lower CPU priority (nice) so that, on a machine
where they share cores with the event loop, the loop still preempts them.

A pool process that dies (OOM killer, kill -9) breaks a ProcessPoolExecutor; the jobs
it failed are retried once on a fresh pool, so a crash loses nothing that can be redone.
A job past its deadline gets a 503 problem; if it is still running its pool is recycled,
so a runaway computation cannot hold a slot forever.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import multiprocessing
import os
import select
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool

from primebench.service.problems import Problem

__all__ = ["ComputePool"]

log = logging.getLogger("primebench.compute")

Job = Callable[[int], int]


def _lower_priority(niceness: int, warm: Job | None, owner_pid: int | None = None) -> None:
    os.nice(niceness)
    if owner_pid is not None:
        _exit_with(owner_pid)
    if warm is not None:
        warm(1)  # pay imports / JIT loading before the first real job


def _exit_with(owner_pid: int) -> None:
    """End this pool process when the worker that owns it dies (kill -9, OOM killer).

    A pool process is a child of the forkserver, not of the worker, and holds both ends of
    its own job queue, so nothing else would ever tell it that its worker is gone: it and
    the forkserver would live on as orphans. A daemon thread waits on a pidfd of the worker
    (no polling). While a job holds the GIL (primecount does) the exit waits for that job.
    """
    try:
        pidfd = os.pidfd_open(owner_pid)
    except ProcessLookupError:
        os._exit(1)
    except OSError:
        return  # no pidfd (kernel < 5.3): the orphan risk stays, as before

    def wait_then_exit() -> None:
        select.select([pidfd], [], [])
        os._exit(1)

    threading.Thread(target=wait_then_exit, name="exit-with-worker", daemon=True).start()


class ComputePool:
    """`await pool.run(n)`: the answer, or a Problem (overloaded / deadline-exceeded)."""

    def __init__(
        self,
        job: Job,
        *,
        size: int,
        queue_depth: int,
        deadline_s: float,
        niceness: int = 10,
        on_change: Callable[[int, int], None] | None = None,
    ) -> None:
        self._job = job
        self._size = size
        self._capacity = size + queue_depth
        self._deadline_s = deadline_s
        self._niceness = niceness
        self._on_change = on_change
        self._admitted = 0
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        # Pools whose processes have started. Only these are killed at a deadline: a job that
        # timed out while its pool was still starting was waiting, not running away, and
        # killing that pool would restart the wait for the next job, forever when the
        # deadline is shorter than a pool's start-up.
        self._warmed: weakref.WeakSet[concurrent.futures.ProcessPoolExecutor] = weakref.WeakSet()

    def start(self) -> None:
        """Create the pool; its processes start on a background thread, so no request waits for them."""
        self._executor = self._new_executor()

    def _warm(self, executor: concurrent.futures.ProcessPoolExecutor) -> None:
        try:
            futures = [executor.submit(int, 0) for _ in range(self._size)]
            concurrent.futures.wait(futures)
        except RuntimeError:
            return  # shut down before it warmed up
        self._warmed.add(executor)

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the pool processes before returning; any still alive after `timeout_s` are killed.

        Waiting matters: granian's worker is a multiprocessing child, and when it returns,
        multiprocessing's exit hook stops the job queue's feeder thread and then joins every
        child process. Had the pool not been stopped by then, its processes would never get
        their stop sentinel: the worker would hang until granian killed it at the end of the
        grace period, leaving the pool and its forkserver behind as orphans.
        """
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = _processes_of(executor)
        executor.shutdown(wait=False, cancel_futures=True)
        ends = time.monotonic() + timeout_s
        for process in processes:
            process.join(max(0.0, ends - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1.0)

    @property
    def admitted(self) -> int:
        return self._admitted

    async def run(self, n: int) -> int:
        if self._admitted >= self._capacity:
            raise Problem(
                "overloaded",
                f"all {self._size} pool processes are busy and {self._capacity - self._size} computations "
                "are queued; retry later",
                (("retry-after", "1"),),
            )
        self._admit(+1)
        try:
            return await self._run_admitted(n)
        finally:
            self._admit(-1)

    async def _run_admitted(self, n: int) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._deadline_s
        for attempt in (1, 2):
            executor = self._current_executor()
            try:
                # submit() itself raises BrokenProcessPool when a pool process died while the
                # pool was idle (no job was there to notice): replace the pool here too.
                future = executor.submit(self._job, n)
                return await asyncio.wait_for(asyncio.wrap_future(future), deadline - loop.time())
            except BrokenProcessPool:
                self._replace(executor)
                if attempt == 2:
                    raise
                log.warning("compute pool broke (a pool process died); retrying n=%d once", n)
            except TimeoutError:
                if future.running() and executor in self._warmed:
                    self._replace(executor, kill=True)
                raise Problem(
                    "deadline-exceeded",
                    f"computing p({n}) took longer than the deadline of {self._deadline_s:g} s",
                    (("retry-after", str(max(1, math.ceil(self._deadline_s)))),),
                ) from None
        raise AssertionError("unreachable")

    def _current_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None:
            self._executor = self._new_executor()
        return self._executor

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        """A new pool, warmed on a background thread (no request waits for its processes to start)."""
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["primebench.primes"])
        executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self._size,
            mp_context=context,
            initializer=_lower_priority,
            initargs=(self._niceness, self._job, os.getpid()),
        )
        threading.Thread(target=self._warm, args=(executor,), name="pool-warm-up", daemon=True).start()
        return executor

    def _replace(self, broken: concurrent.futures.ProcessPoolExecutor, *, kill: bool = False) -> None:
        """Swap in a fresh pool once, however many jobs noticed the breakage."""
        if kill:
            # ProcessPoolExecutor cannot stop a running job before Python 3.14's terminate_workers().
            for process in _processes_of(broken):
                process.kill()
        if self._executor is broken:
            self._executor = self._new_executor()
            broken.shutdown(wait=False, cancel_futures=False)

    def _admit(self, delta: int) -> None:
        self._admitted += delta
        if self._on_change is not None:
            running = min(self._admitted, self._size)
            self._on_change(running, self._admitted - running)


def _processes_of(executor: concurrent.futures.ProcessPoolExecutor) -> list[multiprocessing.process.BaseProcess]:
    """The pool's live processes (a private attribute: None once the executor has shut down)."""
    return list((getattr(executor, "_processes", None) or {}).values())
