"""The article's algorithm, same source shape as `trial`, compiled by numba.

Integer widths follow the article's Rust server (u32), which is what makes its inner
`%` cheap; so this engine, like that server, is exact only while p(n) < 2**32.
numba is imported lazily: importing and compiling it costs about a second, which only
processes that serve this engine should pay (`cache=True` keeps the machine code on disk).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.util import find_spec

__all__ = ["MAX_N", "available", "compiled", "nth_prime"]

# p(203_280_221) = 4_294_967_291 is the largest prime below 2**32.
MAX_N = 203_280_221


def available() -> bool:
    """Whether numba is installed (the `jit` extra), found without importing it (~1 s)."""
    return find_spec("numba") is not None


@cache
def compiled() -> Callable[[int], int]:
    """Load the u32 kernels (compiled once, then from numba's disk cache); the first call pays."""
    import numpy as np

    from primebench.primes.trial_jit_kernels import find_nth_prime

    def nth_prime_u32(n: int) -> int:
        return int(find_nth_prime(np.uint32(n)))

    return nth_prime_u32


def nth_prime(n: int) -> int:
    """The n-th prime, 0 <= n <= MAX_N (n == 0 gives 1, as in the article)."""
    if not 0 <= n <= MAX_N:
        raise ValueError(
            f"trial-jit works in u32 like the article's Rust server: n must be <= {MAX_N}, got {n}"
        )
    return compiled()(n)
