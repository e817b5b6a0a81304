"""n=1: what each stack's HTTP costs when there is nothing to compute."""

from __future__ import annotations

from dataclasses import replace

from primebench.lab.scenarios.base import Point, Scenario, ScenarioSettings, fixed_n_plan
from primebench.lab.scenarios.single_point import SinglePointView

__all__ = ["Floor"]


class Floor(SinglePointView, Scenario):
    name = "floor"
    description = "n=1: the HTTP cost of each stack, nothing to compute."
    generator_choosable = True

    def defaults(self) -> ScenarioSettings:
        return replace(self.common_defaults(), n=1)

    def plan(
        self, settings: ScenarioSettings, contender: str, capacity: float | None = None
    ) -> list[Point]:
        return fixed_n_plan(settings)
