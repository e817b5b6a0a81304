"""The reference answer for p(n), from code that is not ours.

Conformance must not be judged by the engines under test, so the lab asks Kim Walisch's
primecount (PyPI `primecountpy`), a well-known, separately tested project, for every n.
The tests hold it to a second independent library, sympy's `prime()` (its own sieve, pure
Python), over the n the lab checks.

Why not sympy for small n, as before: importing sympy costs every lab process 2 to 5 s
here (each `verify` or `bench`, and every server start asks the oracle for its readiness
answer), while primecount imports in 20 ms and answers p(1) to p(10^6) as fast.
"""

from __future__ import annotations

import functools

import primecountpy

__all__ = ["nth_prime"]


@functools.lru_cache(maxsize=256)
def nth_prime(n: int) -> int:
    """The n-th prime (p(1) = 2). n must be >= 1; raises ValueError otherwise.

    Cost: primecount is O(x^(2/3)): microseconds for the article's n, about a second for
    p(10^12) here.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return int(primecountpy.nth_prime(n))
