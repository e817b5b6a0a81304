"""n_regex: the soak's light/heavy mix as the regex oha draws each request's target from."""

from __future__ import annotations

import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from primebench.lab.model import n_regex
from primebench.lab.run.loadgen import oha
from tests.toolchains import require


@pytest.mark.parametrize(
    ("n", "regex", "lo", "hi"),
    [
        (100_000_000, "9[0-9]{7}", 90_000_000, 99_999_999),
        (20000, "19[0-9]{3}", 19_000, 19_999),
        (99_999_999, "98[0-9]{6}", 98_000_000, 98_999_999),
        (100, "9[0-9]{1}", 90, 99),
        (42, "42", 42, 42),
    ],
)
def test_the_heavy_block_lies_just_below_n(n: int, regex: str, lo: int, hi: int) -> None:
    assert n_regex.heavy_block(n) == (regex, lo, hi)
    assert re.fullmatch(regex, str(lo)) and re.fullmatch(regex, str(hi))
    assert not re.fullmatch(regex, str(hi + 1))
    assert hi < n or n < 100  # below n, unless n is asked as itself


def test_a_five_percent_mix_is_nineteen_light_branches_and_one_heavy() -> None:
    mix = n_regex.mix(10000, 100_000_000, 0.05)
    light = "[1-9][0-9]{0,3}"
    assert mix.path_regex == "/prime\\?n=(" + "|".join([light] * 19 + ["9[0-9]{7}"]) + ")"
    assert (mix.heavy_share, mix.light_max_n, mix.heavy_lo, mix.heavy_hi) == (
        Fraction(1, 20),
        10000,
        90_000_000,
        99_999_999,
    )


def test_a_share_is_rounded_to_whole_branches_of_at_most_a_hundred() -> None:
    assert n_regex.mix(10, 20000, 0.3).heavy_share == Fraction(3, 10)
    assert n_regex.mix(10, 20000, 0.001).heavy_share == Fraction(1, 100)  # never no tail
    assert n_regex.mix(10, 20000, 0.333).heavy_share == Fraction(1, 3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        n_regex.mix(10, 20000, 1.0)


@pytest.mark.e2e
def test_oha_draws_the_heavy_branch_at_the_mixs_share(tmp_path: Path) -> None:
    """The real oha (`--dump-urls` prints targets, sends nothing): 1 heavy branch in 20
    is 5 % of 20,000 draws, within 6 standard deviations (31 each) of 1,000."""
    require("oha")
    mix = n_regex.mix(10000, 100_000_000, 0.05)
    exe = oha.locate(tmp_path)
    assert exe is not None
    url = f"http://127.0.0.1:9{mix.path_regex}"  # port 9: nothing is sent
    dumped = subprocess.run(
        [str(exe), "--rand-regex-url", "--dump-urls", "20000", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    ns = [int(line.partition("?n=")[2]) for line in dumped]
    heavy = [n for n in ns if n >= mix.heavy_lo]
    assert len(ns) == 20000
    assert all(mix.heavy_lo <= n <= mix.heavy_hi for n in heavy)
    assert all(1 <= n <= 9999 for n in ns if n < mix.heavy_lo)
    assert 1000 - 6 * 31 <= len(heavy) <= 1000 + 6 * 31
