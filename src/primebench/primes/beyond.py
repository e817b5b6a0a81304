"""p(n) past the table, from the library of the field: Kim Walisch's primecount.

primecount's nth_prime combines a prime-counting function (Gourdon's algorithm) with a
segmented sieve: measured here 0.1 ms at n=10^6, 0.4 ms at 10^7, 80 ms at 10^12 on 2 cores
(2 cores). It holds the GIL for the whole call, so the service runs calls that can take
more than about a millisecond in its process pool.
"""

from __future__ import annotations

from primecountpy import primecount

__all__ = ["MAX_N", "nth_prime"]

# primecount's 64-bit nth_prime is exact far beyond this; 10^15 keeps a single call
# under a minute on one core. The service's own default limit is lower (10^12).
MAX_N = 10**15


def nth_prime(n: int) -> int:
    """p(n) for 1 <= n <= MAX_N. Module-level so a process pool can pickle it by reference."""
    if not 1 <= n <= MAX_N:
        raise ValueError(f"n must be between 1 and {MAX_N}, got {n}")
    return int(primecount.nth_prime(n))
