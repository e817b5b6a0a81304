"""How each scenario is shown: its tables, its charts, whether it can head the report.

The one place on the report side that knows scenarios by name (the run side's is
`scenarios.py`): adding a scenario adds one `ScenarioView` here, and every renderer
(Markdown, HTML) asks `view(name)` instead of testing names. A name this version does
not know is shown as a single-point scenario, so a newer document still renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from primebench.lab.model.results import Document, ScenarioRecord
from primebench.lab.render import charts
from primebench.lab.render import units as fmt
from primebench.lab.render.comparisons import comparisons_table
from primebench.lab.render.cores import cores_table
from primebench.lab.render.table import Table
from primebench.lab.render.tables import convoy_table, grid_table, single_point_table

__all__ = [
    "VIEWS",
    "ScenarioView",
    "claims_scenario",
    "headline_scenario",
    "scenario_tables",
    "view",
]


@dataclass(frozen=True)
class ScenarioView:
    """`heads_report`: a one-point scenario the article-shaped table can be drawn from
    (the earlier in `VIEWS`, the more it is preferred)."""

    tables: Callable[[ScenarioRecord], list[Table]]
    charts: Callable[[ScenarioRecord], list[str]]
    heads_report: bool = False
    beside_claims: bool = False  # the article's own run: its claims are shown beside it


def _single(scenario: ScenarioRecord) -> list[Table]:
    return [single_point_table(scenario)]


def _sweep(scenario: ScenarioRecord) -> list[Table]:
    return [
        grid_table(scenario, "req_per_s", fmt.rate, "req/s by n"),
        grid_table(scenario, "latency_p99_ms", fmt.ms, "p99 latency by n"),
    ]


def _rate(scenario: ScenarioRecord) -> list[Table]:
    return [
        grid_table(scenario, "latency_p99_ms", fmt.ms, "p99 latency (corrected) by offered rate"),
        grid_table(scenario, "req_per_s", fmt.rate, "achieved req/s by offered rate"),
    ]


SINGLE = ScenarioView(_single, charts.headline_charts, heads_report=True)

VIEWS: dict[str, ScenarioView] = {
    "article": replace(SINGLE, beside_claims=True),
    "floor": SINGLE,
    "random-n": SINGLE,
    "sweep": ScenarioView(_sweep, charts.sweep_chart),
    "convoy": ScenarioView(lambda s: [convoy_table(s)], charts.convoy_chart),
    "rate": ScenarioView(_rate, charts.rate_chart),
    "cores": ScenarioView(lambda s: [cores_table(s)], charts.cores_chart),
}


def view(name: str) -> ScenarioView:
    return VIEWS.get(name, SINGLE)


def scenario_tables(scenario: ScenarioRecord) -> list[Table]:
    """The scenario's own tables, then its comparisons against the baseline."""
    compared = comparisons_table(scenario)
    return view(scenario.name).tables(scenario) + ([compared] if compared else [])


def headline_scenario(doc: Document) -> ScenarioRecord | None:
    """The scenario the article's table is drawn from: the first heading view present."""
    for name, shown in VIEWS.items():
        if shown.heads_report and (found := doc.scenario(name)) is not None:
            return found
    return None


def claims_scenario(doc: Document) -> ScenarioRecord | None:
    """The scenario the article's claimed figures are shown beside (the article's run)."""
    return next((s for s in doc.scenarios if view(s.name).beside_claims), None)
