"""n log-spaced from 1 to 10^6: where each engine's cost starts to show."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from primebench.lab.model.results import ScenarioRecord
from primebench.lab.render import charts
from primebench.lab.render import units as fmt
from primebench.lab.render.table import Table
from primebench.lab.render.tables import grid_table
from primebench.lab.scenarios.base import Point, Scenario, ScenarioSettings, Stream, prime_path

__all__ = ["Sweep", "log_spaced"]


def log_spaced(low: int, high: int, per_decade: int = 1) -> tuple[int, ...]:
    """Integers from `low` to `high` spaced evenly on a log scale, both ends included."""
    if not 1 <= low <= high:
        raise ValueError(f"need 1 <= low <= high, got {low}, {high}")
    steps = max(1, round(math.log10(high / low) * per_decade))
    values = {round(low * (high / low) ** (i / steps)) for i in range(steps + 1)}
    return tuple(sorted(values))


class Sweep(Scenario):
    """Points climb in n, so a contender that falls behind at one n skips the larger ones."""

    name = "sweep"
    description = "n log-spaced from 1 to 10^6: where each engine's cost starts to show."
    generator_choosable = True
    skips_after_backlog = True

    def defaults(self) -> ScenarioSettings:
        """Fewer connections and shorter trials, so a slow engine's backlog stays bounded."""
        return replace(
            self.common_defaults(),
            duration_s=5.0,
            connections=16,
            warmup_s=2.0,
            rounds=3,
            sweep_ns=log_spaced(1, 10**6),
        )

    def plan(
        self, settings: ScenarioSettings, contender: str, capacity: float | None = None
    ) -> list[Point]:
        def stream(n: int) -> Stream:
            return Stream("main", settings.generator, prime_path(n), settings.connections)

        return [Point(f"n={n}", f"n={n}", {"n": n}, (stream(n),)) for n in settings.sweep_ns]

    def tables(
        self, record: ScenarioRecord, algorithms: Mapping[str, str] | None = None
    ) -> list[Table]:
        return [
            grid_table(record, "req_per_s", fmt.rate, "req/s by n"),
            grid_table(record, "latency_p99_ms", fmt.ms, "p99 latency by n"),
        ]

    def charts(self, record: ScenarioRecord) -> list[str]:
        return charts.sweep_chart(record)
