"""The prime table the package ships (primes/shipped/, written by hatch_build.py at build).

A start maps it instead of sieving (issue 21, P6), so it is an answer source like any
engine: checked whole against sympy's own sieve, and its failure modes (missing, corrupt,
truncated, not a regular file) must fall back to the cache and the sieve, never to a
wrong answer or a hang.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import sympy

import primebench.primes.table as table_module
from primebench.primes.table import SHIPPED_COUNT, SHIPPED_PATH, PrimeTable, write_table_file
from primebench.service.settings import Settings

# OEIS A006988: p(10^6); p(10^6 + 1) is the next prime after it.
P_MILLION = 15_485_863
REBUILD = "uv sync --reinstall-package primebench (hatch_build.py writes it)"


@pytest.fixture
def no_sieve(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any call of the sieve fails the test: the table must come from a file."""

    def refuse(limit: int) -> bytes:
        raise AssertionError(f"the table was sieved (limit {limit}), not mapped")

    monkeypatch.setattr(table_module, "sieve_primes", refuse)
    yield


def _copy_of_shipped(tmp_path: Path) -> Path:
    copy = tmp_path / "shipped" / SHIPPED_PATH.name
    copy.parent.mkdir()
    copy.write_bytes(SHIPPED_PATH.read_bytes())
    return copy


def test_the_shipped_table_is_in_the_package_and_equals_sympy(
    tmp_path: Path, no_sieve: None
) -> None:
    assert SHIPPED_PATH.is_file(), f"{SHIPPED_PATH} is missing: {REBUILD}"
    table = PrimeTable.build(SHIPPED_COUNT, tmp_path)
    assert len(table) == SHIPPED_COUNT
    assert table.nth(SHIPPED_COUNT) == P_MILLION
    assert table.view.tolist() == list(sympy.sieve.primerange(2, P_MILLION + 1))
    assert list(tmp_path.iterdir()) == []  # mapped from the package: nothing cached


def test_the_service_default_table_is_the_shipped_one() -> None:
    assert Settings().table_size <= SHIPPED_COUNT


def test_smaller_tables_are_prefixes_of_the_shipped_one(tmp_path: Path, no_sieve: None) -> None:
    rng = random.Random(21)
    for count in [1, 2, 3, 10, 1000, *rng.sample(range(1, SHIPPED_COUNT), 20)]:
        table = PrimeTable.build(count, tmp_path)
        assert len(table) == count
        assert table.nth(count) == sympy.prime(count), count
        with pytest.raises(ValueError, match="between 1 and"):
            table.nth(count + 1)
    assert list(tmp_path.iterdir()) == []


def test_a_larger_table_is_sieved_and_cached(tmp_path: Path) -> None:
    count = SHIPPED_COUNT + 1
    table = PrimeTable.build(count, tmp_path)
    assert table.nth(count) == sympy.nextprime(P_MILLION)
    assert table.nth(SHIPPED_COUNT) == P_MILLION
    assert [p.name for p in tmp_path.iterdir()] == [f"primes-{count}.u32"]


@pytest.mark.parametrize("damage", ["flipped-byte", "truncated", "wrong-count", "empty"])
def test_a_corrupt_shipped_table_falls_back_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    shipped = _copy_of_shipped(tmp_path)
    data = bytearray(shipped.read_bytes())
    if damage == "flipped-byte":
        data[-4 * 500] ^= 0x01  # a prime in the middle becomes odd-but-wrong: only the CRC sees it
    elif damage == "truncated":
        del data[-4:]
    elif damage == "wrong-count":
        data[8] ^= 0x01  # the header's count
    else:
        data.clear()
    shipped.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    table = PrimeTable.build(1000, cache, shipped=shipped)
    assert table.nth(1000) == sympy.prime(1000)
    assert table.view.tolist() == list(sympy.sieve.primerange(2, sympy.prime(1000) + 1))
    assert [p.name for p in cache.iterdir()] == ["primes-1000.u32"]  # sieved, then cached
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and f"shipped table {shipped}" in lines[0], lines
    assert "using the table cache instead" in lines[0]


def test_a_fifo_at_the_shipped_path_neither_blocks_nor_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / SHIPPED_PATH.name
    os.mkfifo(fifo)
    table = PrimeTable.build(100, tmp_path / "cache", shipped=fifo)
    assert table.nth(100) == 541
    err = capsys.readouterr().err
    assert "is not a regular file (mode p" in err


def test_a_missing_shipped_table_falls_back_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A source checkout before its build hook ran: the cache and the sieve, as before."""
    cache = tmp_path / "cache"
    table = PrimeTable.build(1000, cache, shipped=tmp_path / "absent.u32")
    assert table.nth(1000) == 7919
    assert [p.name for p in cache.iterdir()] == ["primes-1000.u32"]
    assert capsys.readouterr().err == ""


def test_write_table_file_writes_a_readable_table_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the build hook calls: the table format, world-readable, reused when valid."""
    path = tmp_path / "shipped" / "primes-1000.u32"
    path.parent.mkdir()
    write_table_file(path, 1000)
    assert path.stat().st_mode & 0o777 == 0o644  # the service's user may not be the builder
    assert path.stat().st_size == 20 + 4 * 1000
    first = path.stat().st_ino
    write_table_file(path, 1000)
    assert path.stat().st_ino == first  # valid: not rewritten
    path.write_bytes(path.read_bytes()[:-1])
    write_table_file(path, 1000)
    assert path.stat().st_size == 20 + 4 * 1000  # damaged: rewritten
    monkeypatch.setattr(table_module, "sieve_primes", None)  # from here on, read only
    mapped = PrimeTable.build(1000, path.parent, shipped=None)  # read as a cache file
    assert mapped.view.tolist() == [sympy.prime(i) for i in range(1, 1001)]
