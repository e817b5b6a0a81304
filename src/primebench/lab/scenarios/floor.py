"""n=1: what each stack's HTTP costs when there is nothing to compute."""

from __future__ import annotations

from dataclasses import replace

from primebench.lab.scenarios.base import Point, Scenario, ScenarioSettings, Stream, prime_path
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
        n = settings.n
        stream = Stream("main", settings.generator, prime_path(n), settings.connections)
        return [Point(f"n={n}", f"n={n}", {"n": n}, (stream,))]
