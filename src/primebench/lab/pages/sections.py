"""Which scenario of a document heads a page, which sits beside the article's claims, and
each scenario's tables and charts: asked of the scenario objects, never of their names."""

from __future__ import annotations

from collections.abc import Mapping

from primebench.lab import scenarios
from primebench.lab.model.results import Document, ScenarioRecord
from primebench.lab.render.comparisons import comparisons_table
from primebench.lab.render.table import Table

__all__ = [
    "claims_scenario",
    "headline_scenario",
    "scenario_charts",
    "scenario_tables",
    "terminal_extras",
]


def scenario_tables(
    scenario: ScenarioRecord, algorithms: Mapping[str, str] | None = None
) -> list[Table]:
    """The scenario's own tables, then its comparisons against the baseline; `algorithms`
    is the document's `footnotes.algorithm_labels`."""
    compared = comparisons_table(scenario)
    own = scenarios.view(scenario.name).tables(scenario, algorithms)
    return own + ([compared] if compared else [])


def scenario_charts(scenario: ScenarioRecord) -> list[str]:
    return scenarios.view(scenario.name).charts(scenario)


def headline_scenario(doc: Document) -> ScenarioRecord | None:
    """The scenario the article's table is drawn from: the first that can head a report."""
    for known in scenarios.SCENARIOS:
        found = doc.scenario(known.name)
        if found is not None and known.heads(found):
            return found
    return None


def terminal_extras(doc: Document) -> list[Table]:
    """The scenarios' own terminal tables (a floor sweep's), in the document's order."""
    return [t for s in doc.scenarios for t in scenarios.view(s.name).terminal_tables(s)]


def claims_scenario(doc: Document) -> ScenarioRecord | None:
    """The scenario the article's claimed figures are shown beside (the article's run)."""
    return next((s for s in doc.scenarios if scenarios.view(s.name).beside_claims), None)
