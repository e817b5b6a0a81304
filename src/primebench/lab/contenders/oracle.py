"""The reference answer for p(n), from code that is not ours.

Conformance must not be judged by the engines under test, so the lab asks two
independent libraries: sympy's `prime()` (its own sieve, pure Python) for small n,
and Kim Walisch's primecount (PyPI `primecountpy`) beyond, where sympy's bisection
over `primepi` becomes slow. Both are well-known, separately tested projects.
"""

from __future__ import annotations

import functools

__all__ = ["SYMPY_LIMIT", "nth_prime"]

SYMPY_LIMIT = 1_000_000
"""Up to this n sympy answers in well under a second; primecount takes over above it."""


@functools.lru_cache(maxsize=256)
def nth_prime(n: int) -> int:
    """The n-th prime (p(1) = 2). n must be >= 1; raises ValueError otherwise.

    Cost: sympy sieves up to p(n) once (then cached by sympy); primecount is
    O(x^(2/3)) and answers p(10^12) in about a second here.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if n <= SYMPY_LIMIT:
        try:
            import sympy  # a dev dependency; without it primecount answers alone
        except ImportError:
            pass
        else:
            return int(sympy.prime(n))
    import primecountpy

    return int(primecountpy.nth_prime(n))
