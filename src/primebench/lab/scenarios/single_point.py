"""How a one-point scenario is shown: one table of every figure, req/s and latency bars.

Shared by the article, floor and random-n scenarios, and the view of a scenario this
version does not know (a newer document's), so that such a document still renders.
"""

from __future__ import annotations

from collections.abc import Mapping

from primebench.lab.model.results import ScenarioRecord
from primebench.lab.render import charts
from primebench.lab.render.table import Table
from primebench.lab.render.tables import single_point_table
from primebench.lab.scenarios.base import ScenarioView

__all__ = ["SinglePointView"]


class SinglePointView(ScenarioView):
    """One point, so one column per figure; it can head the report (article's table)."""

    heads_report = True

    def tables(
        self, record: ScenarioRecord, algorithms: Mapping[str, str] | None = None
    ) -> list[Table]:
        return [single_point_table(record, algorithms)]

    def charts(self, record: ScenarioRecord) -> list[str]:
        return charts.headline_charts(record)
