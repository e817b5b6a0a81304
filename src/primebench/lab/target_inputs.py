"""Which comparisons of a bench document the performance targets P1-P4 are judged on.

The targets themselves (thresholds, judging an interval, exit status) are `targets`';
this module only picks, from the document's interleaved comparisons, the one each target
is about, or says why there is none. P4 (the convoy's head-of-line cost) is a comparison
of one contender with itself: its light stream's p99 loaded over unloaded, paired by round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from primebench.lab import protocol, verdicts
from primebench.lab.results import Document
from primebench.lab.verdicts import Comparison

if TYPE_CHECKING:
    from primebench.lab.targets import TargetResult

__all__ = ["line", "select"]

Choice = tuple[Comparison | None, str]

#: P1-P3: (scenario, contender, baseline) of a req/s comparison.
THROUGHPUT = {
    "P1": ("article", "python-jit", "rust-axum"),
    "P2": ("article", "primebench", "rust-axum"),
    "P3": ("floor", "primebench", "go-seed"),
}


def _throughput(doc: Document, scenario: str, contender: str, baseline: str) -> Choice:
    record = doc.scenario(scenario)
    if record is None:
        return None, f"scenario {scenario} not in the document"
    for found in record.comparisons:
        c = found.comparison
        if c.metric == "req_per_s" and (c.contender, c.baseline) == (contender, baseline):
            return c, ""
    return None, (
        f"no {contender}/{baseline} comparison in {scenario} (both measured, and "
        f"--baseline {baseline} given?)"
    )


def _convoy(doc: Document, contender: str = "primebench") -> Choice:
    record = doc.scenario("convoy")
    if record is None:
        return None, "scenario convoy not in the document"
    run = record.result(contender)
    if run is None:
        return None, f"{contender} not measured in the convoy scenario"
    alone, loaded = run.point("unloaded"), run.point("loaded")
    if alone is None or loaded is None:
        return None, f"{contender}: a convoy point is missing"
    metric = "latency_p99_ms"
    values, base = protocol.paired_values(loaded.runs, alone.runs, metric)
    comparison = verdicts.compare(
        metric,
        f"{contender} loaded",
        f"{contender} unloaded",
        values,
        base,
        higher_is_better=False,
        noise_halfwidth=record.noise.get("unloaded"),
        seed=int(doc.protocol.get("seed", 0)),
    )
    return comparison, ""


def select(doc: Document) -> dict[str, Choice]:
    """P1-P4's comparison (or None and the reason) from `doc`."""
    chosen = {tid: _throughput(doc, *where) for tid, where in THROUGHPUT.items()}
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
