"""The article's algorithm, same source shape as `trial`, compiled by numba.

Integer widths follow the article's Rust server (u32), which is what makes its inner
`%` cheap; so this engine, like that server, is exact only while p(n) < 2**32.
numba is imported lazily: importing and compiling it costs about a second, which only
processes that serve this engine should pay (`cache=True` keeps the machine code on disk).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

__all__ = ["MAX_N", "compiled", "nth_prime"]

# p(203_280_221) = 4_294_967_291 is the largest prime below 2**32.
MAX_N = 203_280_221


@cache
def compiled() -> Callable[[int], int]:
    """Compile (or load from numba's cache) the u32 kernels; the first call pays, later calls are free."""
    import numba
    import numpy as np

    u32 = np.uint32

    @numba.njit(cache=True, nogil=True)
    def is_prime(num: np.uint32) -> bool:
        limit = u32(np.sqrt(np.float64(num)))
        i = u32(2)
        while i <= limit:
            if num % i == u32(0):
                return False
            i += u32(1)
        return bool(num > u32(1))

    @numba.njit(cache=True, nogil=True)
    def find_nth_prime(n: np.uint32) -> np.uint32:
        count = u32(0)
        num = u32(2)
        while count < n:
            if is_prime(num):
                count += u32(1)
            num += u32(1)
        return num - u32(1)

    def nth_prime_u32(n: int) -> int:
        return int(find_nth_prime(u32(n)))

    return nth_prime_u32


def nth_prime(n: int) -> int:
    """The n-th prime, 0 <= n <= MAX_N (n == 0 gives 1, as in the article)."""
    if not 0 <= n <= MAX_N:
        raise ValueError(f"trial-jit works in u32 like the article's Rust server: n must be <= {MAX_N}, got {n}")
    return compiled()(n)
