"""Statistics over repeated measured runs, as pure functions (pyperf `_utils` style).

A benchmark figure is the median of a few runs, shown with its spread, because a single
run on a shared machine can be off by a lot and a mean is dragged by one bad run. The
spread is the median absolute deviation (MAD) relative to the median: robust, and in
the same unit as the figure. When it is high the figure is still reported, with a
warning, never silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, NonNegativeFloat, PositiveInt

from primebench.lab.model.vocabulary import RECORD_CONFIG

__all__ = [
    "HIGH_SPREAD",
    "Summary",
    "mad",
    "median",
    "percentile",
    "relative_spread",
    "summarize",
]

#: Relative MAD above which a figure is flagged: runs that differ by more than ~5 %
#: around the median say the machine was not quiet, or the server is unstable.
HIGH_SPREAD = 0.05


def median(values: Sequence[float]) -> float:
    """The middle value (mean of the two middle ones for an even count); values must be non-empty."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2.0


def mad(values: Sequence[float]) -> float:
    """Median absolute deviation from the median: the spread that one outlier cannot inflate."""
    centre = median(values)
    return median([abs(v - centre) for v in values])


def relative_spread(values: Sequence[float]) -> float:
    """MAD divided by the median (0.0 when the median is 0, where a ratio means nothing)."""
    centre = median(values)
    if centre == 0:
        return 0.0
    return mad(values) / abs(centre)


def percentile(values: Sequence[float], pct: float) -> float:
    """The `pct`-th percentile (0..100) by linear interpolation between closest ranks.

    Used for the convoy's and tests' own samples; the load generators report their own
    percentiles from full histograms and those are taken as they are.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= pct <= 100.0:
        raise ValueError(f"percentile must be between 0 and 100, got {pct}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    weight = rank - low
    return ordered[low] * (1.0 - weight) + ordered[high] * weight


@dataclass(frozen=True)
class Summary:
    """One figure over the measured runs: what a report cell shows and what a reader must know about it."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    median: float
    mad: NonNegativeFloat
    spread: NonNegativeFloat  # mad / median
    minimum: Annotated[float, Field(alias="min")]  # "min"/"max" in the document
    maximum: Annotated[float, Field(alias="max")]
    count: PositiveInt
    high_spread: bool


def summarize(values: Sequence[float], threshold: float = HIGH_SPREAD) -> Summary:
    """Median, MAD, relative spread and range of `values` (non-empty).

    A single run has no measurable spread: `high_spread` is then False and `count` says why.
    """
    if not values:
        raise ValueError("summary of no values")
    spread = relative_spread(values)
    return Summary(
        median=median(values),
        mad=mad(values),
        spread=spread,
        minimum=float(min(values)),
        maximum=float(max(values)),
        count=len(values),
        high_spread=len(values) > 1 and spread > threshold,
    )
