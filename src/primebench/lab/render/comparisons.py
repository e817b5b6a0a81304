"""Cells and the table of a scenario's comparisons: ratio, interval, verdict (pure).

Shared by the headline table (each arm's ratio to the baseline) and the scenario's own
comparisons table, so both say the same thing the same way.
"""

from __future__ import annotations

from primebench.lab.model.results import PointComparison, ScenarioRecord
from primebench.lab.render.table import Table

__all__ = ["aa_cell", "comparison_cell", "comparisons_table"]


def comparison_cell(found: PointComparison) -> str:
    """`0.93 [0.88, 0.99] slower`: ratio, interval, verdict."""
    c = found.comparison
    interval = (
        f" [{c.ci_low:.2f}, {c.ci_high:.2f}]"
        if c.ci_low is not None and c.ci_high is not None
        else " [no interval: < 3 rounds]"
    )
    return f"{c.ratio:.2f}{interval} {c.verdict.value}"


def aa_cell(found: PointComparison) -> str:
    """The A/A pair is the calibration, not a contest: say whether it contains 1."""
    c = found.comparison
    if c.ci_low is None or c.ci_high is None:
        return f"{c.ratio:.2f} [no interval: < 3 rounds] A/A: no noise floor"
    where = (
        "contains 1"
        if c.ci_low <= 1.0 <= c.ci_high
        else "excludes 1: the two instances drifted apart (a disturbed machine)"
    )
    return f"{c.ratio:.2f} [{c.ci_low:.2f}, {c.ci_high:.2f}] A/A {where}"


def comparisons_table(scenario: ScenarioRecord) -> Table | None:
    """Every comparison of the scenario: point, arm, baseline, ratio with interval, verdict."""
    if not scenario.comparisons:
        return None
    rows = tuple(
        (
            c.point,
            c.comparison.contender + (" (A/A)" if c.aa else ""),
            c.comparison.baseline,
            c.comparison.metric,
            " ".join(f"{r:.3f}" for r in c.comparison.per_round),
            aa_cell(c) if c.aa else comparison_cell(c),
        )
        for c in scenario.comparisons
    )
    notes = [
        (
            "Ratio: geometric mean of the per-round paired ratios (arm / baseline), with its "
            "95 % bootstrap interval over rounds. A difference is claimed only when the "
            "interval excludes 1 and exceeds the A/A noise floor."
        )
    ]
    for point, width in scenario.noise.items():
        notes.append(f"{point}: A/A noise floor ±{width * 100:.1f}%.")
    if scenario.smallest_resolvable is not None:
        notes.append(
            f"Smallest difference this run could resolve: {scenario.smallest_resolvable * 100:.1f}%."
        )
    return Table(
        f"{scenario.name}: comparisons against the baseline",
        ("Point", "Arm", "Baseline", "Metric", "Per-round ratios", "Ratio [95 % CI] verdict"),
        rows,
        tuple(notes),
    )
