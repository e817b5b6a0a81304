"""p(n) past the table, from the library of the field: Kim Walisch's primecount.

primecount's nth_prime combines a prime-counting function (Gourdon's algorithm) with a
segmented sieve: measured here 0.1 ms at n=10^6, 0.4 ms at 10^7, 80 ms at 10^12 on 2 cores
(2 cores). It holds the GIL for the whole call, so the service runs calls that can take
more than about a millisecond in its process pool.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

from primecountpy import primecount

__all__ = ["MAX_N", "nth_prime", "set_threads"]

# primecount's 64-bit nth_prime is exact far beyond this (p(10^16) < 2^59); past the Nth Prime
# Page's 2.6e15. The service's own default limit is lower (10^14, docs/RELIABILITY.md).
MAX_N = 10**16


def nth_prime(n: int) -> int:
    """p(n) for 1 <= n <= MAX_N. Module-level so a process pool can pickle it by reference."""
    if not 1 <= n <= MAX_N:
        raise ValueError(f"n must be between 1 and {MAX_N}, got {n}")
    return int(primecount.nth_prime(n))


def set_threads(threads: int) -> bool:
    """Limit primecount's OpenMP threads per call in this process; False if it cannot be done.

    primecount starts one thread per core by default, in every process that calls it: with
    several pool processes, or a neighbour busy on the other core, that oversubscribes the
    CPU (measured: nth_prime(10^13) 2.75 s wall with default threads, 0.75 s with one, the
    other core busy). primecountpy does not expose primecount's own setting, so this calls
    omp_set_num_threads of the libgomp its wheel bundles (or the system's).
    """
    libgomp = _libgomp()
    if libgomp is None:
        return False
    libgomp.omp_set_num_threads(ctypes.c_int(max(1, threads)))
    return True


def _libgomp() -> ctypes.CDLL | None:
    import primecountpy

    bundled = Path(primecountpy.__file__).parent.parent / "primecountpy.libs"
    candidates = [str(p) for p in sorted(bundled.glob("libgomp*.so*"))] + ["libgomp.so.1"]
    for candidate in candidates:
        try:
            return ctypes.CDLL(candidate)
        except OSError:
            continue
    return None
