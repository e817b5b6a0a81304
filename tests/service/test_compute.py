"""The process pool on its own: a runaway stopped alone, deadline-aware admission, a crash retried."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import psutil
import pytest

from primebench.primes import trial
from primebench.service.compute import ComputePool, CostModel
from primebench.service.problems import Problem

pytestmark = pytest.mark.e2e  # starts real pool processes

RUNAWAY_N = 10**7  # pure-Python trial division of p(10^7) takes minutes


async def _warm(pool: ComputePool) -> None:
    for _ in range(400):
        if await pool.run(10) == 29 and len(_pool_pids()) >= pool._size:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("pool never warmed up")


def _pool_pids() -> set[int]:
    """Pool processes: grandchildren of this process (children of its forkserver)."""
    found = set()
    for child in psutil.Process().children():
        if "forkserver" in " ".join(child.cmdline()):
            found.update(p.pid for p in child.children())
    return found


def test_cost_model_learns_from_what_jobs_took() -> None:
    model = CostModel()
    assert 0.15 <= model.estimate(10**12) <= 0.5  # it starts from a busy-neighbour figure
    for _ in range(30):
        model.observe(10**12, 1.5)
    assert model.estimate(10**12) == pytest.approx(1.5, rel=0.01)
    assert model.estimate(10**13) > 3 * model.estimate(10**12)


def test_a_runaway_is_stopped_alone() -> None:
    async def scenario() -> None:
        pool = ComputePool(trial.nth_prime, size=2, queue_depth=8, deadline_s=1.0)
        pool.start()
        try:
            await _warm(pool)
            before = _pool_pids()
            runaway = asyncio.create_task(pool.run(RUNAWAY_N))
            await asyncio.sleep(0.1)
            started = time.perf_counter()
            # the other process keeps answering while the runaway runs, and after it is stopped
            answers = [await pool.run(1000 + i) for i in range(40)]
            with pytest.raises(Problem) as stopped:
                await runaway
            assert stopped.value.slug == "deadline-exceeded"
            assert time.perf_counter() - started < 3
            assert answers[0] == 7919 and all(isinstance(a, int) for a in answers)
            after = _pool_pids()
            assert len(before & after) == 1, "exactly the runaway's process was replaced"
            assert await pool.run(100) == 541
            assert pool.admitted == 0
        finally:
            pool.close()

    asyncio.run(scenario())


def test_admission_refuses_at_once_what_cannot_finish_within_the_deadline() -> None:
    async def scenario() -> None:
        pool = ComputePool(trial.nth_prime, size=1, queue_depth=50, deadline_s=3.75)
        pool.start()
        try:
            await _warm(pool)
            pool.cost.scale = 1.2 / float(RUNAWAY_N) ** CostModel.EXPONENT  # 1.2 s per such job
            first = asyncio.create_task(pool.run(RUNAWAY_N))
            # admitted if wait + cost <= 0.8 x 3.75 s = 3 s
            second = asyncio.create_task(pool.run(RUNAWAY_N + 1))  # waits 1.2 s, runs 1.2 s: fits
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            with pytest.raises(Problem) as refused:
                await pool.run(RUNAWAY_N + 2)  # would wait 2.4 s, then run 1.2 s: past 3 s
            assert time.perf_counter() - started < 0.1
            assert refused.value.slug == "overloaded"
            assert ("retry-after", "3") in refused.value.headers  # ceil(2.4 s of expected wait)
            await asyncio.gather(first, second, return_exceptions=True)
        finally:
            pool.close()

    asyncio.run(scenario())


def test_capacity_refuses_at_once_with_retry_after() -> None:
    async def scenario() -> None:
        pool = ComputePool(trial.nth_prime, size=1, queue_depth=1, deadline_s=0.5)
        pool.start()
        try:
            await _warm(pool)
            slow = [asyncio.create_task(pool.run(RUNAWAY_N + i)) for i in range(2)]
            await asyncio.sleep(0.05)
            with pytest.raises(Problem) as refused:
                await pool.run(5)
            assert refused.value.slug == "overloaded"
            assert any(name == "retry-after" for name, _ in refused.value.headers)
            await asyncio.gather(*slow, return_exceptions=True)
        finally:
            pool.close()

    asyncio.run(scenario())


def test_a_pool_process_killed_mid_job_fails_only_that_try() -> None:
    async def scenario() -> None:
        pool = ComputePool(trial.nth_prime, size=1, queue_depth=4, deadline_s=20.0)
        pool.start()
        try:
            await _warm(pool)
            job = asyncio.create_task(pool.run(30_000))  # ~1 s in pure Python
            await asyncio.sleep(0.3)
            for pid in _pool_pids():
                os.kill(pid, signal.SIGKILL)
            assert await job == 350_377  # retried on the replacement process
        finally:
            pool.close()

    asyncio.run(scenario())


def _slow_create(pool: ComputePool, seconds: float) -> None:
    """Make the pool's creation (on its start thread) take `seconds` longer."""
    create = pool._create

    def slow() -> object:
        time.sleep(seconds)
        return create()

    pool._create = slow  # type: ignore[method-assign,assignment]


def test_a_job_admitted_before_the_pool_exists_waits_for_it() -> None:
    """Issue 21 (P6): the pool is created on a thread, off the first answer's path; a heavy
    job that arrives first is answered once it exists, not refused."""

    async def scenario() -> None:
        pool = ComputePool(trial.nth_prime, size=1, queue_depth=4, deadline_s=20.0)
        _slow_create(pool, 0.5)
        started = time.perf_counter()
        pool.start()
        try:
            assert pool._pool is None  # still being created
            assert await pool.run(100) == 541
            assert time.perf_counter() - started >= 0.5
            assert pool.admitted == 0
        finally:
            pool.close()

    asyncio.run(scenario())


def test_a_job_whose_deadline_passes_before_the_pool_exists_is_told_so() -> None:
    async def scenario() -> None:
        pool = ComputePool(trial.nth_prime, size=1, queue_depth=4, deadline_s=0.3)
        _slow_create(pool, 1.0)
        pool.start()
        try:
            with pytest.raises(Problem) as late:
                await pool.run(100)
            assert late.value.slug == "deadline-exceeded"
        finally:
            pool.close()

    asyncio.run(scenario())


def test_closing_while_the_pool_is_created_leaves_no_process() -> None:
    """A worker stopped in its first milliseconds: the pool made after close is stopped."""
    pool = ComputePool(trial.nth_prime, size=1, queue_depth=4, deadline_s=5.0)
    _slow_create(pool, 0.3)
    pool.start()
    pool.close()
    assert pool._created.wait(10)
    for _ in range(100):  # the start thread stops what it made; nothing had started
        if not _pool_pids():
            break
        time.sleep(0.05)
    assert _pool_pids() == set()
    assert pool._pool is None
