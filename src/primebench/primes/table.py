"""A table of the first primes, built once by a vectorised sieve: O(1) p(n) for small n.

Built before the server forks its workers, so every worker reads the same physical
pages (copy-on-write, never written) instead of holding a copy each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["PrimeTable", "upper_bound_nth_prime"]


def upper_bound_nth_prime(n: int) -> int:
    """An x with p(n) <= x: Rosser's bound n(ln n + ln ln n), valid for n >= 6."""
    if n < 6:
        return 13
    log_n = math.log(n)
    return int(n * (log_n + math.log(log_n))) + 1


def _odd_sieve(limit: int) -> npt.NDArray[np.uint32]:
    """All primes <= limit, ascending. Sieves odd numbers only (index i stands for 2i+1)."""
    is_odd_prime = np.ones(limit // 2 + 1, dtype=np.bool_)
    is_odd_prime[0] = False  # 1 is not prime
    if limit % 2 == 0:
        is_odd_prime[-1] = False  # index limit//2 stands for limit+1, beyond the limit
    for i in range(1, (math.isqrt(limit) - 1) // 2 + 1):
        if is_odd_prime[i]:
            p = 2 * i + 1
            is_odd_prime[p * p // 2 :: p] = False
    odd_primes = np.flatnonzero(is_odd_prime).astype(np.uint32) * np.uint32(2) + np.uint32(1)
    head = np.array([2] if limit >= 2 else [], dtype=np.uint32)
    return np.concatenate((head, odd_primes))


@dataclass(frozen=True, eq=False)
class PrimeTable:
    """The first `len(self)` primes. Lookup is one index into a read-only memoryview."""

    primes: npt.NDArray[np.uint32]

    @classmethod
    def build(cls, count: int) -> PrimeTable:
        """Sieve up to Rosser's bound for p(count). count=10**6 takes ~25 ms and 4 MB."""
        if count < 1:
            raise ValueError(f"table size must be >= 1, got {count}")
        primes = _odd_sieve(upper_bound_nth_prime(count))[:count].copy()
        primes.setflags(write=False)
        return cls(primes)

    def __post_init__(self) -> None:
        # memoryview indexing returns a plain int, ~3x cheaper than numpy scalar indexing.
        object.__setattr__(self, "_view", memoryview(self.primes))

    def __len__(self) -> int:
        return int(self.primes.shape[0])

    def nth(self, n: int) -> int:
        """p(n) for 1 <= n <= len(self); O(1)."""
        if not 1 <= n <= len(self):
            raise ValueError(f"n must be between 1 and {len(self)} for this table, got {n}")
        view: memoryview = object.__getattribute__(self, "_view")
        return int(view[n - 1])
