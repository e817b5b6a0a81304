"""Every engine against oracles that are not our code: published p(10^k) and sympy."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import sympy

from primebench.primes import EngineName, PrimeTable, beyond, prepare, trial, trial_jit

# OEIS A006988: p(10^k), k = 0..12.
PUBLISHED = {
    10**0: 2,
    10**1: 29,
    10**2: 541,
    10**3: 7919,
    10**4: 104729,
    10**5: 1299709,
    10**6: 15485863,
    10**7: 179424673,
    10**8: 2038074743,
    10**9: 22801763489,
    10**10: 252097800623,
    10**11: 2760727302517,
    10**12: 29996224275833,
}


@pytest.fixture(scope="module")
def fast():  # type: ignore[no-untyped-def]
    return prepare(EngineName.FAST, 1_000_000)


@pytest.mark.parametrize("n", sorted(PUBLISHED))
def test_fast_engine_matches_published_values(fast, n: int) -> None:  # type: ignore[no-untyped-def]
    assert fast.inline(n) == PUBLISHED[n]


@pytest.mark.parametrize("n", [n for n in sorted(PUBLISHED) if n <= 10**4])
def test_trial_matches_published_values(n: int) -> None:
    assert trial.nth_prime(n) == PUBLISHED[n]


@pytest.mark.parametrize("n", [n for n in sorted(PUBLISHED) if n <= 10**5])
def test_trial_jit_matches_published_values(n: int) -> None:
    assert trial_jit.nth_prime(n) == PUBLISHED[n]


def test_article_shape_gives_one_for_zero() -> None:
    assert trial.nth_prime(0) == 1
    assert trial_jit.nth_prime(0) == 1


def test_whole_sieved_table_equals_sympy_primes(tmp_path: Path) -> None:
    """The sieve itself (the shipped table has its own test, tests/primes/test_shipped.py)."""
    table = PrimeTable.build(1_000_000, tmp_path, shipped=None)
    assert len(table) == 1_000_000
    expected = list(sympy.sieve.primerange(2, PUBLISHED[10**6] + 1))
    assert table.view.tolist() == expected


@pytest.mark.parametrize("count", range(1, 40))
def test_small_sieved_tables_equal_sympy(count: int, tmp_path: Path) -> None:
    assert PrimeTable.build(count, tmp_path, shipped=None).view.tolist() == [
        sympy.prime(i) for i in range(1, count + 1)
    ]


def test_fast_engine_against_sympy_on_a_sample(fast) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(20261128)
    sample = [rng.randint(1, 3_000_000) for _ in range(120)] + [
        999_999,
        1_000_000,
        1_000_001,
        1_000_002,
    ]
    for n in sample:
        assert fast.inline(n) == sympy.prime(n), n
        if n <= fast.table_size:  # the service's floor path indexes the table itself
            assert fast.table[n - 1] == sympy.prime(n), n


def test_engines_agree_for_every_n_up_to_10_000(fast) -> None:  # type: ignore[no-untyped-def]
    for n in range(1, 10_001):
        assert fast.inline(n) == beyond.nth_prime(n), n


def test_trial_engines_agree_with_the_table_for_every_n_up_to_1000(fast) -> None:  # type: ignore[no-untyped-def]
    # Every n <= 1000 for both trial engines (O(n^1.5) each: the 10^4 range is sampled below).
    for n in range(1, 1001):
        expected = fast.inline(n)
        assert trial.nth_prime(n) == expected, n
        assert trial_jit.nth_prime(n) == expected, n


def test_trial_engines_agree_with_the_table_on_a_sample_up_to_10_000(fast) -> None:  # type: ignore[no-untyped-def]
    for n in range(1001, 10_001, 373):
        expected = fast.inline(n)
        assert trial_jit.nth_prime(n) == expected, n
        assert trial.nth_prime(n) == expected, n


def test_trial_jit_refuses_n_past_u32() -> None:
    with pytest.raises(ValueError, match="u32"):
        trial_jit.nth_prime(trial_jit.MAX_N + 1)


def test_table_lookup_bounds() -> None:
    table = PrimeTable.build(10)
    assert table.nth(10) == 29
    for bad in (0, 11):
        with pytest.raises(ValueError):
            table.nth(bad)


def test_beyond_refuses_out_of_range() -> None:
    with pytest.raises(ValueError):
        beyond.nth_prime(0)


def test_cheap_limits_route_huge_n_to_the_pool(fast) -> None:  # type: ignore[no-untyped-def]
    assert fast.is_cheap(1) and fast.is_cheap(1_000_000)
    assert not fast.is_cheap(10**12)


def test_table_cache_round_trip_and_corruption(tmp_path: Path) -> None:
    built = PrimeTable.build(5000, tmp_path, shipped=None)
    cached_file = tmp_path / "primes-5000.u32"
    assert cached_file.exists()
    assert PrimeTable.build(5000, tmp_path, shipped=None).view.tolist() == built.view.tolist()
    data = bytearray(cached_file.read_bytes())
    data[-1] ^= 0xFF  # corrupt the last prime: the CRC must catch it and the table be rebuilt
    cached_file.write_bytes(bytes(data))
    rebuilt = PrimeTable.build(5000, tmp_path, shipped=None)
    assert rebuilt.nth(5000) == sympy.prime(5000)


def test_unwritable_cache_keeps_the_table_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    assert PrimeTable.build(100, blocker, shipped=None).nth(100) == 541
