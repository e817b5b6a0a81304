"""The statistics the reports rest on: exact small cases, and the spread warning."""

from __future__ import annotations

import pytest

from primebench.lab.model import codec, stats


def test_median_odd_and_even() -> None:
    assert stats.median([3.0, 1.0, 2.0]) == 2.0
    assert stats.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert stats.median([7.0]) == 7.0


def test_mad_ignores_one_outlier() -> None:
    # |x - 10| = 1, 0, 1, 90 -> median of deviations is 1, whatever the outlier.
    assert stats.mad([9.0, 10.0, 11.0, 100.0]) == 1.0
    assert stats.relative_spread([9.0, 10.0, 11.0]) == pytest.approx(0.1)


def test_relative_spread_of_zero_median_is_zero() -> None:
    assert stats.relative_spread([0.0, 0.0, 1.0]) == 0.0


@pytest.mark.parametrize(
    ("pct", "expected"),
    [(0, 1.0), (50, 2.5), (100, 4.0), (25, 1.75), (99, 3.97)],
)
def test_percentile_interpolates_between_ranks(pct: float, expected: float) -> None:
    assert stats.percentile([4.0, 1.0, 3.0, 2.0], pct) == pytest.approx(expected)


def test_percentile_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        stats.percentile([1.0], 101)


@pytest.mark.parametrize("func", [stats.median, stats.mad, stats.summarize])
def test_empty_input_is_an_error_not_a_zero(func: object) -> None:
    with pytest.raises(ValueError):
        func([])  # type: ignore[operator]


def test_summary_flags_high_spread() -> None:
    quiet = stats.summarize([100.0, 101.0, 99.0])
    assert (quiet.median, quiet.count, quiet.high_spread) == (100.0, 3, False)
    noisy = stats.summarize([100.0, 120.0, 80.0])
    assert noisy.spread == pytest.approx(0.2)
    assert noisy.high_spread


def test_single_run_has_no_spread_warning() -> None:
    summary = stats.summarize([42.0])
    assert summary.spread == 0.0
    assert not summary.high_spread
    assert codec.dump(summary)["count"] == 1
