"""The article's run, reproduced: n=20000, 100 connections, 10 s, with the article's tool."""

from __future__ import annotations

from dataclasses import replace

from primebench.lab.model.generators import Generator
from primebench.lab.scenarios.base import Point, Scenario, ScenarioSettings, fixed_n_plan
from primebench.lab.scenarios.single_point import SinglePointView

__all__ = ["Article"]


class Article(SinglePointView, Scenario):
    """Heads the report, and its figures are shown beside the article's claimed ones."""

    name = "article"
    description = "The article's run: n=20000, 100 connections, 10 s, autocannon."
    generator_choosable = True
    beside_claims = True

    def defaults(self) -> ScenarioSettings:
        """autocannon, as the article measured (it saturates near 20-28k req/s here)."""
        return replace(self.common_defaults(), generator=Generator.AUTOCANNON, n=20000)

    def plan(
        self, settings: ScenarioSettings, contender: str, capacity: float | None = None
    ) -> list[Point]:
        return fixed_n_plan(settings)
