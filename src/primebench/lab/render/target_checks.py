"""Which comparisons of a bench document the performance targets P1-P4 are judged on.

The targets themselves (thresholds, judging an interval, exit status) are `targets`';
this module only picks, from the document's interleaved comparisons, the one each target
is about, or says why there is none. P4 (the convoy's head-of-line cost) is a comparison
of one contender with itself: its light stream's p99 loaded over unloaded, paired by round.

The floor's targets (P3, P3b, P3-core) are judged once per connection count, and each
passes only if every count does: a stack that is faster only when the client batches its
requests is not faster (issue 18). P3 names its counts (16, 64, 100, 256); P3b and P3-core
take every count the document measured. A floor document from before the sweep has one
point, at its `connections` setting, and is judged at that count alone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from primebench.lab.model import targets, verdicts
from primebench.lab.model.pairing import paired_values
from primebench.lab.model.results import Document
from primebench.lab.model.verdicts import Comparison
from primebench.lab.model.vocabulary import Metric

if TYPE_CHECKING:
    from primebench.lab.model.targets import TargetResult

__all__ = ["FLOOR", "check", "floor_counts", "line", "select", "select_floor"]

Choice = tuple[Comparison | None, str]

#: P1-P2: (scenario, contender, baseline) of a req/s comparison.
THROUGHPUT = {
    "P1": ("article", "python-jit", "rust-axum"),
    "P2": ("article", "primebench", "rust-axum"),
}
#: The floor's targets: (contender, baseline, the counts it must pass at; () every count).
FLOOR = {
    "P3": ("primebench", "go-seed", (16, 64, 100, 256)),
    "P3b": ("primebench", "rust-axum", ()),
    "P3-core": ("primebench", targets.BARE_CORE, ()),
}


def _paired(
    doc: Document,
    scenario: str,
    contender: str,
    baseline: str,
    metric: Metric,
    key: str | None = None,
) -> Choice:
    """The comparison the bench recorded, else the same one computed from the rounds' trials.

    The bench compares every arm with one baseline per point; a target may name another
    (P1: python-jit against rust-axum when go-seed was the baseline). Trials are paired by
    round either way. The noise floor is the baseline's own A/A pair when it had a twin
    (`--twin`), else the point's (the run baseline's twin). `key`: the point compared
    (None: the contender's first).
    """
    record = doc.scenario(scenario)
    if record is None:
        return None, f"scenario {scenario} not in the document"
    for found in record.comparisons:
        c = found.comparison
        at = key is None or found.point == key
        if at and c.metric == metric and (c.contender, c.baseline) == (contender, baseline):
            return c, ""
    mine, theirs = record.result(contender), record.result(baseline)
    if mine is None or theirs is None or not mine.points or not theirs.points:
        return None, f"{contender} and {baseline} not both measured in {scenario}"
    point = mine.points[0] if key is None else mine.point(key)
    base = None if point is None else theirs.point(point.key)
    if point is None or base is None:
        return None, f"{contender} and {baseline} not both measured at {key} in {scenario}"
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
        noise_halfwidth=record.noise_for(point.key, baseline),
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
    """P1, P2 and P4's comparison (or None and the reason) from `doc`."""
    chosen = {tid: _paired(doc, *where, "req_per_s") for tid, where in THROUGHPUT.items()}
    chosen["P4"] = _convoy(doc)
    return chosen


def floor_counts(doc: Document) -> dict[int, str]:
    """The floor's connection counts and their point keys: one per point of a sweep, or the
    one count of a document from before it (`settings["connections"]`, an int)."""
    record = doc.scenario("floor")
    if record is None:
        return {}
    found: dict[int, str] = {}
    for run in record.results:
        for point in run.points:
            count = point.params.get("connections", record.settings.get("connections"))
            if isinstance(count, int):
                found.setdefault(count, point.key)
    return dict(sorted(found.items()))


def select_floor(doc: Document) -> dict[str, list[tuple[int | None, Choice]]]:
    """Each floor target's comparison per connection count it is judged at (count None:
    nothing to judge at, with the reason)."""
    measured = floor_counts(doc)
    chosen: dict[str, list[tuple[int | None, Choice]]] = {}
    for tid, (contender, baseline, required) in FLOOR.items():
        if doc.scenario("floor") is None:
            chosen[tid] = [(None, (None, "scenario floor not in the document"))]
            continue
        record = doc.scenario("floor")
        ran = record is not None and record.result(baseline) is not None
        if baseline == targets.BARE_CORE and not ran:
            why = f"{baseline} (the bare app on primebench's server core) did not run in the floor"
            chosen[tid] = [(None, (None, why))]
            continue
        found: list[tuple[int | None, Choice]] = []
        for count in required or tuple(measured):
            key = measured.get(count)
            if key is None:
                counts = ", ".join(map(str, measured)) or "none"
                why = f"the floor did not measure {count} connections (it measured {counts})"
                found.append((count, (None, why)))
            else:
                found.append((count, _paired(doc, "floor", contender, baseline, "req_per_s", key)))
        chosen[tid] = found or [(None, (None, "the floor measured no point"))]
    return chosen


def line(result: TargetResult) -> str:
    """`P1 pass 1.02 [0.98, 1.06]: description, target >= 1` for the terminal."""
    t = result.target
    verdict = result.verdict.value if result.verdict is not None else "unmeasured"
    interval = ""
    if result.ratio is not None:
        interval = f" {result.ratio:.3f}"
        if result.ci_low is not None and result.ci_high is not None:
            interval += f" [{result.ci_low:.3f}, {result.ci_high:.3f}]"
    reason = f" ({result.reason})" if result.reason else ""
    return f"{t.id} {verdict:<12}{interval}: {t.description}, target {t.bar}{reason}"


def _all_of(target: targets.Target, per_count: list[TargetResult]) -> TargetResult:
    """The target over every count: a miss anywhere misses, then unmeasured, then
    inconclusive; it passes only if every count passes."""
    verdicts_ = [r.verdict for r in per_count]
    verdict: targets.TargetVerdict | None
    if targets.TargetVerdict.MISS in verdicts_:
        verdict = targets.TargetVerdict.MISS
    elif None in verdicts_:
        verdict = None
    elif targets.TargetVerdict.INCONCLUSIVE in verdicts_:
        verdict = targets.TargetVerdict.INCONCLUSIVE
    else:
        verdict = targets.TargetVerdict.PASS
    each = ", ".join(
        f"{r.target.id.partition('@')[2] or '?'}: {r.verdict.value if r.verdict else 'unmeasured'}"
        for r in per_count
    )
    reason = f"one verdict per connection count, passes only if every count passes ({each})"
    return targets.TargetResult(target, None, None, None, verdict, reason)


def check(doc: Document) -> tuple[list[TargetResult], int]:
    """P1-P4 judged by their intervals (`targets.judge_comparison`), and the exit status.

    A floor target comes as its overall verdict (`P3`) followed by one result per count
    (`P3@16`, ...); a floor target with nothing to judge at is one unmeasured `P3`."""
    chosen = select(doc)
    judged = [
        targets.judge_comparison(targets.TARGETS[tid], comparison, reason)
        for tid, (comparison, reason) in chosen.items()
        if tid != "P4"
    ]
    for tid, per_count in select_floor(doc).items():
        target = targets.TARGETS[tid]
        if per_count[0][0] is None:
            (comparison, reason) = per_count[0][1]
            judged.append(targets.judge_comparison(target, comparison, reason))
            continue
        each = [
            targets.judge_comparison(
                replace(
                    target,
                    id=f"{tid}@{count}",
                    description=f"{target.description.split(', at ')[0]}, {count} connections",
                ),
                comparison,
                reason,
            )
            for count, (comparison, reason) in per_count
        ]
        judged += [_all_of(target, each), *each]
    comparison, reason = chosen["P4"]
    judged.append(targets.judge_comparison(targets.TARGETS["P4"], comparison, reason))
    return judged, targets.exit_status(judged)
