"""numba kernels of the article's loop in u32; imported only by `trial_jit.compiled()`.

Module-level with explicit signatures, so numba compiles them eagerly once and then
loads the machine code from its on-disk cache (`cache=True`) on every later start.
"""

from __future__ import annotations

import numba
import numpy as np

u32 = np.uint32


@numba.njit("boolean(uint32)", cache=True, nogil=True)
def is_prime(num: np.uint32) -> bool:
    limit = u32(np.sqrt(np.float64(num)))
    i = u32(2)
    while i <= limit:
        if num % i == u32(0):
            return False
        i += u32(1)
    return bool(num > u32(1))


@numba.njit("uint32(uint32)", cache=True, nogil=True)
def find_nth_prime(n: np.uint32) -> np.uint32:
    count = u32(0)
    num = u32(2)
    while count < n:
        if is_prime(num):
            count += u32(1)
        num += u32(1)
    return num - u32(1)
