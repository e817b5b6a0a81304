"""Pairing trials by round: the step every paired ratio starts from.

Rounds interleave the arms, so a drift of the machine hits both sides of a round alike;
a ratio is only honest between two trials of the same round. A round where either side
has no kept, successful trial drops out of the pair instead of being imputed. Shared by
the run (comparisons written into the document) and the renderer (targets judged from a
saved document).
"""

from __future__ import annotations

from collections.abc import Sequence

from primebench.lab.model.results import RunRecord
from primebench.lab.model.vocabulary import Metric

__all__ = ["paired_values"]


def paired_values(
    contender: Sequence[RunRecord], baseline: Sequence[RunRecord], metric: Metric
) -> tuple[list[float], list[float]]:
    """The metric of both arms in the rounds where both have a kept, successful trial."""

    def by_round(runs: Sequence[RunRecord]) -> dict[int, float]:
        found: dict[int, float] = {}
        for run in runs:
            value = run.metric(metric) if run.kind == "measured" and run.status == "ok" else None
            if value is not None and value > 0:
                found[run.index] = value
        return found

    a, b = by_round(contender), by_round(baseline)
    rounds = sorted(a.keys() & b.keys())
    return [a[r] for r in rounds], [b[r] for r in rounds]
