"""The process pool on its own: deadlines, capacity, and replacing a pool more than once."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time

import pytest

from primebench.primes import trial
from primebench.service.compute import ComputePool, _processes_of
from primebench.service.problems import Problem

pytestmark = pytest.mark.e2e  # starts real pool processes


async def _warm(pool: ComputePool) -> None:
    """Wait until the pool's processes are up (deadline kills only apply to warmed pools)."""
    for _ in range(200):
        try:
            if await pool.run(10) == 29 and pool._warmed:
                return
        except Problem:
            pass  # the deadline is shorter than the pool's start-up: wait for it
        await asyncio.sleep(0.05)
    raise AssertionError("pool never warmed up")


def test_processes_of_a_shut_down_executor_is_empty() -> None:
    executor = concurrent.futures.ProcessPoolExecutor(max_workers=1)
    executor.submit(int, 0).result(timeout=30)
    assert len(_processes_of(executor)) == 1
    executor.shutdown(wait=True)
    assert _processes_of(executor) == []


def test_concurrent_deadlines_replace_the_pool_and_it_still_answers() -> None:
    async def scenario() -> None:
        pool = ComputePool(trial.nth_prime, size=2, queue_depth=4, deadline_s=0.3)
        pool.start()
        try:
            await _warm(pool)
            started = time.perf_counter()
            # Two runaway jobs (pure-Python trial division of p(10^7) takes minutes) time out together.
            results = await asyncio.gather(*(pool.run(10**7 + i) for i in range(2)), return_exceptions=True)
            assert time.perf_counter() - started < 5
            for result in results:
                assert isinstance(result, Problem) and result.slug == "deadline-exceeded"
            assert await pool.run(100) == 541  # a fresh pool answers
            assert pool.admitted == 0
        finally:
            pool.close()

    asyncio.run(scenario())


def test_capacity_refuses_at_once_with_retry_after() -> None:
    async def scenario() -> None:
        pool = ComputePool(trial.nth_prime, size=1, queue_depth=1, deadline_s=0.5)
        pool.start()
        try:
            await _warm(pool)
            slow = [asyncio.create_task(pool.run(10**7 + i)) for i in range(2)]
            await asyncio.sleep(0.05)
            with pytest.raises(Problem) as refused:
                await pool.run(5)
            assert refused.value.slug == "overloaded"
            assert ("retry-after", "1") in refused.value.headers
            await asyncio.gather(*slow, return_exceptions=True)
        finally:
            pool.close()

    asyncio.run(scenario())
