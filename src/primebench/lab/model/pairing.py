"""Pairing trials by round: the step every paired ratio starts from.

Rounds interleave the arms, so a drift of the machine hits both sides of a round alike;
a ratio is only honest between two trials of the same round. A round where either side
has no kept, successful trial drops out of the pair instead of being imputed. Shared by
the run (comparisons written into the document) and the renderer (targets judged from a
saved document).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from primebench.lab.model.results import RunRecord
from primebench.lab.model.vocabulary import Metric

__all__ = ["paired_values", "round_value"]


def round_value(values: Sequence[float]) -> float:
    """One arm's figure of a round from its kept trials: their geometric mean.

    A round has one trial per arm, or two in a mirrored round (the floor's A B B A legs,
    `protocol.mirrored`); the geometric mean keeps a ratio of two rounds' figures the
    ratio of their legs' means on the log scale, where the comparisons are made.
    """
    if not values or min(values) <= 0:
        raise ValueError(f"a round's figure needs positive trials, got {list(values)}")
    if len(values) == 1:
        return float(values[0])  # the one trial itself, not exp(log(x)) a bit away from it
    return math.exp(math.fsum(math.log(v) for v in values) / len(values))


def paired_values(
    contender: Sequence[RunRecord], baseline: Sequence[RunRecord], metric: Metric
) -> tuple[list[float], list[float]]:
    """The metric of both arms in the rounds where both have a kept, successful trial (the
    geometric mean of a mirrored round's two legs; a leg that failed leaves the other)."""

    def by_round(runs: Sequence[RunRecord]) -> dict[int, float]:
        found: dict[int, list[float]] = {}
        for run in runs:
            value = run.metric(metric) if run.kind == "measured" and run.status == "ok" else None
            if value is not None and value > 0:
                found.setdefault(run.index, []).append(value)
        return {index: round_value(values) for index, values in found.items()}

    a, b = by_round(contender), by_round(baseline)
    rounds = sorted(a.keys() & b.keys())
    return [a[r] for r in rounds], [b[r] for r in rounds]
