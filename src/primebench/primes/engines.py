"""Engines: one name each, what range they answer, and which n are cheap enough to answer inline.

The service asks an engine two things: the answer, and whether computing it may take more
than about a millisecond (then it runs in the process pool, off the event loop). The
cheap limits below were measured on the development machine (docs/PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from primebench.primes import beyond, trial, trial_jit
from primebench.primes.table import PrimeTable

__all__ = ["Engine", "EngineName", "prepare"]


class EngineName(StrEnum):
    FAST = "fast"
    TRIAL = "trial"
    TRIAL_JIT = "trial-jit"


# n at or below which one answer costs well under a millisecond (measured):
FAST_CHEAP_MAX_N = 10**7  # primecount: 0.4 ms at 10^7, 0.7 ms at 10^8
TRIAL_CHEAP_MAX_N = 100  # pure Python: 0.25 ms at n=100
TRIAL_JIT_CHEAP_MAX_N = 1_000  # numba u32: ~0.02 ms at n=1000, 18 ms at n=20000


@dataclass(frozen=True)
class Engine:
    """A prepared engine: `inline` answers on the caller's thread.

    `offloaded` is picklable by reference (it runs in the pool's processes). `table` is the
    prime table itself (p(n) at index n - 1), for a caller whose every call counts: the
    service's floor path indexes it directly, two Python calls cheaper than `inline`.
    """

    name: EngineName
    max_n: int
    cheap_max_n: int
    inline: Callable[[int], int]
    offloaded: Callable[[int], int]
    table_size: int = 0
    table: Sequence[int] = ()

    def is_cheap(self, n: int) -> bool:
        return n <= self.cheap_max_n


def prepare(name: EngineName, table_size: int) -> Engine:
    """Build what the engine needs before the first request (the table; numba's machine code)."""
    if name is EngineName.FAST:
        table = PrimeTable.build(table_size)
        size = len(table)
        lookup = table.nth

        def fast(n: int) -> int:
            return lookup(n) if n <= size else beyond.nth_prime(n)

        return Engine(
            name,
            beyond.MAX_N,
            max(FAST_CHEAP_MAX_N, size),
            fast,
            beyond.nth_prime,
            size,
            table.view,
        )
    if name is EngineName.TRIAL:
        return Engine(name, 10**15, TRIAL_CHEAP_MAX_N, trial.nth_prime, trial.nth_prime)
    trial_jit.compiled()
    return Engine(
        name, trial_jit.MAX_N, TRIAL_JIT_CHEAP_MAX_N, trial_jit.nth_prime, trial_jit.nth_prime
    )
