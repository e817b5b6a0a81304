"""The change between two results documents, as ratios (pure; asv `compare`, pyperf `compare_to`).

For every scenario, contender and point present in both, each headline figure is
shown before and after (median with the min–max of its rounds) and as a ratio
after/before. Two documents' rounds are not paired (they ran at different times), so no
paired interval exists between them: a ratio is called a change only when the two
ranges of rounds do not overlap (and it exceeds 2 %), so noise is not reported as
progress. A figure that was generator-bound on either side is marked (it compares the
tool). For verdicts with intervals, measure both versions in one bench (`--target`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from primebench.lab.model.results import Document
from primebench.lab.model.stats import Summary
from primebench.lab.model.vocabulary import Metric
from primebench.lab.pages.markdown import render_table
from primebench.lab.render import units as fmt
from primebench.lab.render.tables import Table

__all__ = ["COMPARED", "Change", "changes", "measured", "render", "table"]

#: Figures compared, with how to print them and whether higher is better.
COMPARED: tuple[tuple[Metric, fmt.Render, bool], ...] = (
    ("req_per_s", fmt.rate, True),
    ("latency_p50_ms", fmt.ms, False),
    ("latency_p99_ms", fmt.ms, False),
    ("server_peak_rss_bytes", fmt.size, False),
)


@dataclass(frozen=True)
class Change:
    """One figure in both documents."""

    scenario: str
    contender: str
    point: str
    metric: Metric
    before: Summary
    after: Summary
    generator_bound: bool

    @property
    def ratio(self) -> float | None:
        return None if self.before.median == 0 else self.after.median / self.before.median

    @property
    def significant(self) -> bool:
        """The ranges of rounds do not overlap, and the ratio is off 1 by more than 2 %."""
        r = self.ratio
        if r is None:
            return False
        apart = self.after.minimum > self.before.maximum or self.after.maximum < self.before.minimum
        return apart and abs(r - 1.0) > 0.02

    def verdict(self) -> str:
        """`faster`/`slower` (or `better`/`worse` for costs), `same` within noise."""
        r = self.ratio
        if r is None or not self.significant:
            return "same"
        higher_is_better = next((h for m, _, h in COMPARED if m == self.metric), True)
        improved = r > 1 if higher_is_better else r < 1
        return "better" if improved else "worse"


def changes(before: Document, after: Document) -> list[Change]:
    """Every compared figure present in both documents, in the after document's order."""
    found = []
    for scenario in after.scenarios:
        old_scenario = before.scenario(scenario.name)
        if old_scenario is None:
            continue
        for run in scenario.results:
            old_run = old_scenario.result(run.contender)
            if old_run is None:
                continue
            for point in run.points:
                old_point = old_run.point(point.key)
                if old_point is None or point.status != "ok" or old_point.status != "ok":
                    continue
                for metric, _, _ in COMPARED:
                    a, b = old_point.summary.get(metric), point.summary.get(metric)
                    if a is not None and b is not None:
                        bound = point.generator_bound or old_point.generator_bound
                        found.append(
                            Change(scenario.name, run.contender, point.key, metric, a, b, bound)
                        )
    return found


def measured(doc: Document) -> str:
    """What a document measured, `scenario: contender, ...` (for the message of a
    comparison that found nothing in common)."""
    parts = []
    for scenario in doc.scenarios:
        names = [r.contender for r in scenario.results if any(p.status == "ok" for p in r.points)]
        parts.append(f"{scenario.name}: {', '.join(names) or 'nothing measured'}")
    return "; ".join(parts) or "no scenario"


def table(found: Sequence[Change]) -> Table:
    """The changes as one table; the ratio is after / before."""
    render_of = {m: r for m, r, _ in COMPARED}
    rows = []
    for c in found:
        render = render_of[c.metric]
        ratio = "–" if c.ratio is None else fmt.ratio(c.ratio)
        rows.append(
            (
                c.scenario,
                c.contender,
                c.point,
                c.metric,
                _with_range(c.before, render),
                _with_range(c.after, render),
                ratio + (" †" if c.generator_bound else ""),
                c.verdict(),
            )
        )
    notes = (
        (
            "before/after: median (min–max of the rounds); ratio = after / before of the "
            "medians; 'same' when the two ranges overlap or the ratio is within 2 %."
        ),
        "† generator-bound in at least one run: the ratio compares the load generator.",
    )
    return Table(
        "Change between two runs",
        ("Scenario", "Contender", "Point", "Figure", "Before", "After", "Ratio", "Verdict"),
        tuple(rows),
        notes,
    )


def _with_range(summary: Summary, render: fmt.Render) -> str:
    if summary.count < 2:
        return render(summary.median)
    return f"{render(summary.median)} ({render(summary.minimum)}–{render(summary.maximum)})"


def render(before: Document, after: Document) -> str:
    """Markdown: where each run came from, then the table (or why there is nothing to compare)."""
    head = (
        f"- before: {before.created_utc}, {before.machine.cpu_model}\n"
        f"- after: {after.created_utc}, {after.machine.cpu_model}\n"
    )
    if before.machine.cpu_model != after.machine.cpu_model:
        head += "- warning: the two runs come from different CPUs; ratios compare machines too.\n"
    found = changes(before, after)
    if not found:
        return head + "\nNo scenario, contender and point measured in both documents.\n"
    return head + "\n" + render_table(table(found), level=2)
