"""Each request a different n: no contender wins by caching one answer."""

from __future__ import annotations

from dataclasses import replace

from primebench.lab.model.generators import Generator
from primebench.lab.scenarios.base import Point, Scenario, ScenarioSettings, Stream, prime_path
from primebench.lab.scenarios.single_point import SinglePointView

__all__ = ["RandomN"]


class RandomN(SinglePointView, Scenario):
    """Always measured with wrk (a Lua script draws each request's n); not `--generator`."""

    name = "random-n"
    description = "Each request a different n (uniform): no contender wins by caching one answer."

    def defaults(self) -> ScenarioSettings:
        return replace(self.common_defaults(), n_range=(1, 20000))

    def plan(
        self, settings: ScenarioSettings, contender: str, capacity: float | None = None
    ) -> list[Point]:
        lo, hi = settings.n_range
        stream = Stream(
            "main", Generator.WRK, prime_path(lo), settings.connections, random_n=(lo, hi)
        )
        label = f"n uniform in {lo}..{hi}"
        return [Point(f"n~U[{lo},{hi}]", label, {"n_range": [lo, hi]}, (stream,))]

    def generators(self, settings: ScenarioSettings) -> frozenset[Generator]:
        return frozenset({Generator.WRK})
