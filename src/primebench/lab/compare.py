"""The change between two results documents, as ratios (pure; asv `compare`, pyperf `compare_to`).

For every scenario, contender and point present in both, each headline figure is
shown before, after and as a ratio after/before. A ratio is called a change only when
it exceeds both runs' own spread, so noise is not reported as progress; a figure that
was generator-bound on either side is marked, because it compares the tool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from primebench.lab import units as fmt
from primebench.lab.report_md import render_table
from primebench.lab.results import Document
from primebench.lab.stats import Summary
from primebench.lab.tables import Table

__all__ = ["COMPARED", "Change", "changes", "render", "table"]

#: Figures compared, with how to print them and whether higher is better.
COMPARED: tuple[tuple[str, fmt.Render, bool], ...] = (
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
    metric: str
    before: Summary
    after: Summary
    generator_bound: bool

    @property
    def ratio(self) -> float | None:
        return None if self.before.median == 0 else self.after.median / self.before.median

    @property
    def significant(self) -> bool:
        """Larger than the two runs' relative spreads together (and than 2 %, whatever they say)."""
        r = self.ratio
        if r is None:
            return False
        return abs(r - 1.0) > max(self.before.spread + self.after.spread, 0.02)

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
                render(c.before.median),
                render(c.after.median),
                ratio + (" †" if c.generator_bound else ""),
                c.verdict(),
            )
        )
    notes = (
        "ratio = after / before; 'same' when the change is within the runs' spread (MAD) or 2 %.",
        "† generator-bound in at least one run: the ratio compares the load generator.",
    )
    return Table(
        "Change between two runs",
        ("Scenario", "Contender", "Point", "Figure", "Before", "After", "Ratio", "Verdict"),
        tuple(rows),
        notes,
    )


def render(before: Document, after: Document) -> str:
    """Markdown: where each run came from, then the table (or why there is nothing to compare)."""
    head = (
        f"- before: {before.created_utc}, {before.machine.get('cpu_model')}\n"
        f"- after: {after.created_utc}, {after.machine.get('cpu_model')}\n"
    )
    if before.machine.get("cpu_model") != after.machine.get("cpu_model"):
        head += "- warning: the two runs come from different CPUs; ratios compare machines too.\n"
    found = changes(before, after)
    if not found:
        return head + "\nNo scenario, contender and point measured in both documents.\n"
    return head + "\n" + render_table(table(found), level=2)
