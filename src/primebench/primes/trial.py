"""The article's algorithm, step for step, in pure Python.

It exists so the lab can show what CPython does with the article's own logic; it is
never the service's default. Cost: roughly O(p(n)^1.5 / log p(n)) divisions.
"""

from __future__ import annotations

import math

__all__ = ["is_prime", "nth_prime"]


def is_prime(num: int) -> bool:
    """The article's test: divide by every i in 2..=floor(sqrt(num)), sqrt in floating point."""
    limit = int(math.sqrt(num))
    for i in range(2, limit + 1):
        if num % i == 0:
            return False
    return num > 1


def nth_prime(n: int) -> int:
    """The n-th prime by counting from 2. Like the article, n <= 0 gives 1."""
    count = 0
    num = 2
    while count < n:
        if is_prime(num):
            count += 1
        num += 1
    return num - 1
