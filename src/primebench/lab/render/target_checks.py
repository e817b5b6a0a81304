"""Which comparisons of a bench document the performance targets P1-P4 are judged on.

The targets themselves (thresholds, judging an interval, exit status) are `targets`';
this module only picks, from the document's interleaved comparisons, the one each target
is about, or says why there is none. P4 (the convoy's head-of-line cost) is a comparison
of one contender with itself: its light stream's p99 loaded over unloaded, paired by round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from primebench.lab.model import targets, verdicts
from primebench.lab.model.pairing import paired_values
from primebench.lab.model.results import Document
from primebench.lab.model.verdicts import Comparison
from primebench.lab.model.vocabulary import Metric

if TYPE_CHECKING:
    from primebench.lab.model.targets import TargetResult

__all__ = ["check", "line", "select"]

Choice = tuple[Comparison | None, str]

#: P1-P3: (scenario, contender, baseline) of a req/s comparison.
THROUGHPUT = {
    "P1": ("article", "python-jit", "rust-axum"),
    "P2": ("article", "primebench", "rust-axum"),
    "P3": ("floor", "primebench", "go-seed"),
}


def _paired(doc: Document, scenario: str, contender: str, baseline: str, metric: Metric) -> Choice:
    """The comparison the bench recorded, else the same one computed from the rounds' trials.

    The bench compares every arm with one baseline per point; a target may name another
    (P1: python-jit against rust-axum when go-seed was the baseline). Trials are paired by
    round either way, and the point's A/A half-width is the noise floor.
    """
    record = doc.scenario(scenario)
    if record is None:
        return None, f"scenario {scenario} not in the document"
    for found in record.comparisons:
        c = found.comparison
        if c.metric == metric and (c.contender, c.baseline) == (contender, baseline):
            return c, ""
    mine, theirs = record.result(contender), record.result(baseline)
    if mine is None or theirs is None or not mine.points or not theirs.points:
        return None, f"{contender} and {baseline} not both measured in {scenario}"
    point, base = mine.points[0], theirs.point(mine.points[0].key)
    if base is None:
        return None, f"{baseline} has no point {point.key} in {scenario}"
    values, base_values = paired_values(point.runs, base.runs, metric)
    if not values:
        return None, f"no round where both {contender} and {baseline} were measured"
    comparison = verdicts.compare(
        metric,
        contender,
        baseline,
        values,
        base_values,
        higher_is_better=True,
        noise_halfwidth=record.noise.get(point.key),
        seed=doc.protocol.seed,
    )
    return comparison, ""


def _convoy(doc: Document, contender: str = "primebench") -> Choice:
    """P4: the light stream's p99 loaded over unloaded, paired by round (lower is better)."""
    record = doc.scenario("convoy")
    if record is None:
        return None, "scenario convoy not in the document"
    run = record.result(contender)
    if run is None:
        return None, f"{contender} not measured in the convoy scenario"
    alone, loaded = run.point("unloaded"), run.point("loaded")
    if alone is None or loaded is None:
        return None, f"{contender}: a convoy point is missing"
    metric: Metric = "latency_p99_ms"
    values, base = paired_values(loaded.runs, alone.runs, metric)
    if not values:
        return None, f"{contender}: no round with both convoy points measured"
    comparison = verdicts.compare(
        metric,
        f"{contender} loaded",
        f"{contender} unloaded",
        values,
        base,
        higher_is_better=False,
        noise_halfwidth=None,  # loaded vs unloaded is no A/A pair: no noise floor to apply
        seed=doc.protocol.seed,
    )
    return comparison, ""


def select(doc: Document) -> dict[str, Choice]:
    """P1-P4's comparison (or None and the reason) from `doc`."""
    chosen = {tid: _paired(doc, *where, "req_per_s") for tid, where in THROUGHPUT.items()}
    chosen["P4"] = _convoy(doc)
    return chosen


def line(result: TargetResult) -> str:
    """`P1 pass 1.02 [0.98, 1.06]: description` for the terminal."""
    t = result.target
    verdict = result.verdict.value if result.verdict is not None else "unmeasured"
    interval = ""
    if result.ratio is not None:
        interval = f" {result.ratio:.3f}"
        if result.ci_low is not None and result.ci_high is not None:
            interval += f" [{result.ci_low:.3f}, {result.ci_high:.3f}]"
    reason = f" ({result.reason})" if result.reason else ""
    return f"{t.id} {verdict:<12}{interval}: {t.description}{reason}"


def check(doc: Document) -> tuple[list[TargetResult], int]:
    """P1-P4 judged by their intervals (`targets.judge_comparison`), and the exit status."""
    judged = [
        targets.judge_comparison(targets.TARGETS[tid], comparison, reason)
        for tid, (comparison, reason) in select(doc).items()
    ]
    return judged, targets.exit_status(judged)
