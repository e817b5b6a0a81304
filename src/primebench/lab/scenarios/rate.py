"""Open-loop fixed offered rates: latency against load, coordinated omission corrected.

Without `--rates`, the offered rates are fractions of each contender's own capacity, so
one setting fits servers that differ by 10^4 in speed: a closed-loop wrk point measured
first (the pre-step `capacity_probe`) gives that capacity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from primebench.lab.model.generators import Generator
from primebench.lab.model.results import ScenarioRecord
from primebench.lab.render import charts
from primebench.lab.render import units as fmt
from primebench.lab.render.table import Table
from primebench.lab.render.tables import grid_table
from primebench.lab.scenarios.base import Point, Scenario, ScenarioSettings, Stream, prime_path

__all__ = ["Rate", "round_rate"]


class Rate(Scenario):
    """Compared on p99 latency, lower wins; the offered rates are oha's, the probe wrk's."""

    name = "rate"
    description = (
        "Open-loop fixed offered rates (coordinated-omission corrected): latency against load."
    )
    compared_metric = "latency_p99_ms"
    higher_is_better = False

    def defaults(self) -> ScenarioSettings:
        return replace(
            self.common_defaults(), generator=Generator.OHA, duration_s=5.0, warmup_s=3.0
        )

    def capacity_probe(self, settings: ScenarioSettings, contender: str = "") -> Point | None:
        """Closed-loop req/s at the scenario's n, when no `--rates` were given."""
        if settings.rates is not None:
            return None
        n = settings.n
        stream = Stream("main", Generator.WRK, prime_path(n), settings.connections)
        return Point("capacity", "closed-loop capacity", {"n": n}, (stream,))

    def plan(
        self, settings: ScenarioSettings, contender: str, capacity: float | None = None
    ) -> list[Point]:
        """One point per offered rate; `capacity` is needed when no `--rates` were given."""
        s = settings
        rates = s.rates if s.rates is not None else _fractions_of(capacity, s.rate_fractions)
        return [
            Point(
                f"rate={r:g}",
                f"{r:g} req/s offered",
                {"n": s.n, "rate": r},
                (Stream("main", Generator.OHA, prime_path(s.n), s.connections, rate=r),),
            )
            for r in rates
        ]

    def generators(self, settings: ScenarioSettings) -> frozenset[Generator]:
        return frozenset({Generator.WRK, Generator.OHA})

    def tables(
        self, record: ScenarioRecord, algorithms: Mapping[str, str] | None = None
    ) -> list[Table]:
        return [
            grid_table(record, "latency_p99_ms", fmt.ms, "p99 latency (corrected) by offered rate"),
            grid_table(record, "req_per_s", fmt.rate, "achieved req/s by offered rate"),
        ]

    def charts(self, record: ScenarioRecord) -> list[str]:
        return charts.rate_chart(record)


def _fractions_of(capacity: float | None, fractions: tuple[float, ...]) -> tuple[float, ...]:
    if capacity is None or capacity <= 0:
        raise ValueError("the rate scenario needs a measured capacity when no --rates are given")
    return tuple(round_rate(capacity * f) for f in fractions)


def round_rate(rate: float) -> float:
    """Two significant digits: offered rates read as round numbers in tables."""
    if rate <= 0:
        return rate
    digits = 1 - math.floor(math.log10(rate))
    return round(rate, digits)
