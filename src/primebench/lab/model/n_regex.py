"""Request targets as regexes: how oha (`--rand-regex-url`) is told which n to ask for.

oha draws every request's URL from a regex with the `rand_regex` crate: each alternation
branch is picked with equal probability, then each character class and repeat count
uniformly. So a mix of light and heavy n is an alternation of copies: 19 light branches
and 1 heavy one ask for a heavy n 5 % of the time. Checked on oha 1.16.0 with
`--dump-urls 20000` of such a regex: 1,003 heavy (5.0 %), and the light n spread evenly
over 1 to 4 digits (4,641 to 4,812 each).

Pure string building; the scenarios build the regexes, the oha module only passes them on.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = ["MAX_BRANCHES", "Mix", "digits_regex", "heavy_block", "mix"]

MAX_BRANCHES = 100
"""The mix's share is rounded to a fraction with at most this denominator (1 % steps)."""


def digits_regex(hi: int) -> str:
    """A regex matching the decimal integers 1..10^k - 1, the largest such range within 1..hi.

    Only hi of the form 10^k - 1 or 10^k is exact; otherwise n stays <= the largest
    10^k - 1 below hi, so a light stream never asks for more than it was told. The number
    of digits is uniform, so small (cheap) n dominate.
    """
    if hi < 1:
        raise ValueError(f"hi must be >= 1, got {hi}")
    digits = len(str(hi + 1)) - 1  # 9999 -> 4, 10000 -> 4
    digits = max(digits, 1)
    return "[1-9]" if digits == 1 else f"[1-9][0-9]{{0,{digits - 1}}}"


def heavy_block(n: int) -> tuple[str, int, int]:
    """(regex, lo, hi): n drawn uniformly from a block of 10^(d-2) values just below `n`.

    d is the number of digits of `n`: the two leading digits are fixed (one less than
    n's), the rest random, so every n asked is below `n` and within its top tenth or so
    (10^8 -> 90,000,000..99,999,999; 20000 -> 19,000..19,999). The block is wide so that
    no answer cache serves it: 10^7 distinct values at n = 10^8, against primebench's
    10,000 remembered answers per worker. n < 100 is asked as itself.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if n < 100:
        return str(n), n, n
    free = len(str(n)) - 2
    prefix = n // 10**free - 1
    lo = prefix * 10**free
    return f"{prefix}[0-9]{{{free}}}", lo, lo + 10**free - 1


@dataclass(frozen=True)
class Mix:
    """A light/heavy mix as oha's path regex, with what it asks for (for the document)."""

    path_regex: str
    heavy_share: Fraction
    light_max_n: int
    heavy_lo: int
    heavy_hi: int


def mix(light_max_n: int, heavy_n: int, heavy_share: float) -> Mix:
    """`/prime?n=(L|...|H|...)`: light n in 1..light_max_n, heavy n near `heavy_n`.

    The share is rounded to the nearest fraction a/b with b <= MAX_BRANCHES (5 % -> 1/20:
    19 light branches and 1 heavy); the rounded share is what is recorded.
    """
    if not 0 < heavy_share < 1:
        raise ValueError(f"heavy share must be between 0 and 1, got {heavy_share}")
    share = Fraction(heavy_share).limit_denominator(MAX_BRANCHES)
    if share == 0:
        share = Fraction(1, MAX_BRANCHES)
    light = digits_regex(light_max_n)
    heavy, lo, hi = heavy_block(heavy_n)
    branches = [light] * (share.denominator - share.numerator) + [heavy] * share.numerator
    # '?' is a quantifier to the regex engine: escaped; oha disables '.' (literal here).
    return Mix(f"/prime\\?n=({'|'.join(branches)})", share, light_max_n, lo, hi)
