"""The answer cache: bounded, least recently used out first."""

from __future__ import annotations

from primebench.service.answers import AnswerCache


def test_remembers_and_forgets_the_least_recently_used() -> None:
    cache = AnswerCache(2)
    cache.put(10**12, 29_996_224_275_833)
    cache.put(10**13, 323_780_508_946_331)
    assert cache.get(10**12) == 29_996_224_275_833  # now the most recent
    cache.put(10**11, 2_760_727_302_517)
    assert cache.get(10**13) is None and len(cache) == 2
    assert cache.get(10**11) == 2_760_727_302_517


def test_capacity_zero_remembers_nothing() -> None:
    cache = AnswerCache(0)
    cache.put(5, 11)
    assert cache.get(5) is None and len(cache) == 0
