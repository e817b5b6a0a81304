"""The request parameter `n`: exactly the contract, nothing Python's int() would also take.

`int()` accepts '+7', ' 7', '1_000' and non-ASCII digits such as '٣'; the contract is
ASCII decimal digits only (leading zeros allowed), 1 <= n <= max_n, given at most once.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

__all__ = ["DEFAULT_N", "InvalidN", "describe", "n_from_path", "n_from_query", "parse_n"]

DEFAULT_N = 10_000  # the article's default when n is missing
_SHOWN_CHARS = 40
_DIGITS = frozenset("0123456789")
_FAST_DIGITS = 20  # int() of 20 digits is cheap; longer runs (leading zeros) take parse_n's path


class InvalidN(ValueError):
    """n is not in the contract; the message is the problem's `detail`, safe to echo."""


def describe(raw: str) -> str:
    """The received value for an error message: escaped (no control or non-ASCII bytes) and truncated."""
    if raw == "":
        return "an empty value"
    shown = raw[:_SHOWN_CHARS].encode("unicode_escape").decode("ascii").replace('"', '\\"')
    more = f"... ({len(raw)} characters in all)" if len(raw) > _SHOWN_CHARS else ""
    return f'"{shown}"{more}'


def _out_of_contract(raw: str, max_n: int) -> InvalidN:
    return InvalidN(
        f"n must be an integer from 1 to {max_n} in ASCII digits; received {describe(raw)}"
    )


def parse_n(raw: str, max_n: int) -> int:
    """The value of one `n`, or InvalidN. Never calls int() on more than 20 digits."""
    if not raw or not _DIGITS.issuperset(raw):
        raise _out_of_contract(raw, max_n)
    significant = raw.lstrip("0")
    if len(significant) > len(str(max_n)):
        raise _out_of_contract(raw, max_n)
    n = int(significant or "0")
    if not 1 <= n <= max_n:
        raise _out_of_contract(raw, max_n)
    return n


def n_from_query(query: str, max_n: int) -> int:
    """n from a raw query string (percent-encoded): missing -> DEFAULT_N; repeated -> InvalidN."""
    if query[:2] == "n=":
        raw = query[2:]
        # The common case in two C calls: ASCII digits only (so no '&', '%' or '+' to decode);
        # `str.isdigit` alone would also take '٣' or '²'. At most 20 digits reach int().
        if raw.isascii() and raw.isdigit() and len(raw) <= _FAST_DIGITS:
            n = int(raw)
            if 1 <= n <= max_n:
                return n
        if "&" not in raw and "%" not in raw and "+" not in raw:
            return parse_n(raw, max_n)  # its refusal names the value
    if not query:
        return DEFAULT_N
    values = [value for key, value in _pairs(query) if key == "n"]
    if not values:
        return DEFAULT_N
    if len(values) > 1:
        raise InvalidN(f"n must be given once; received it {len(values)} times")
    return parse_n(values[0], max_n)


def n_from_path(segment: str, max_n: int) -> int:
    """n from `/prime/{n}` (already percent-decoded by the server)."""
    return parse_n(segment, max_n)


def _pairs(query: str) -> list[tuple[str, str]]:
    pairs = []
    for field in query.split("&"):
        if not field:
            continue
        key, _, value = field.partition("=")
        pairs.append((unquote_plus(key, errors="replace"), unquote_plus(value, errors="replace")))
    return pairs
