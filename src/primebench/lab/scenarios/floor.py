"""n=1: what each stack's HTTP costs when there is nothing to compute, at each concurrency.

The ratio between two stacks at the floor depends on how many connections the client
holds (issue 18: primebench was 0.47 x Go at 16 connections and 1.18 x at 256), so the
floor sweeps the connection count by default, one point each; `--connections 100` (one
count) is the one-point floor of every document written before the sweep.

Its rounds are mirrored (`mirrored_rounds`): at the floor a 10 % difference must be told
from a machine whose speed drifts by more than that between trials (docs/PERFORMANCE.md).
Its trials are 1 s and `--rounds auto` goes up to 30 rounds: a round's spread did not grow
when trials were halved (2 s to 1 s) and rounds doubled at the same seconds of load, so the
A/A floor narrowed by about sqrt(2) (runs AI, AJ, AK: docs/PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from primebench.lab.model.results import ScenarioRecord
from primebench.lab.render import connections
from primebench.lab.render.table import Table
from primebench.lab.scenarios.base import (
    Point,
    Scenario,
    ScenarioSettings,
    Stream,
    fixed_n_plan,
    prime_path,
)
from primebench.lab.scenarios.single_point import SinglePointView

__all__ = ["CONNECTIONS", "Floor"]

#: The default sweep: few requests per wake-up (16) to a deep batch (256), and the
#: article's 100 (issue 18's table).
CONNECTIONS = (16, 64, 100, 256)


class Floor(SinglePointView, Scenario):
    name = "floor"
    description = "n=1: the HTTP cost of each stack, nothing to compute."
    generator_choosable = True
    sweeps_connections = True
    mirrored_rounds = True
    max_rounds = 30

    def defaults(self) -> ScenarioSettings:
        """n=1 at each of `CONNECTIONS`; trials of 1 s, each round's two legs 2 s an arm."""
        return replace(self.common_defaults(), n=1, connections_sweep=CONNECTIONS, duration_s=1.0)

    def plan(
        self, settings: ScenarioSettings, contender: str, capacity: float | None = None
    ) -> list[Point]:
        if not settings.connections_sweep:
            return fixed_n_plan(settings)
        n = settings.n
        return [
            Point(
                f"c={count}",
                f"n={n}, {count} connections",
                {"n": n, "connections": count},
                (Stream("main", settings.generator, prime_path(n), count),),
            )
            for count in settings.connections_sweep
        ]

    def heads(self, record: ScenarioRecord) -> bool:
        return not connections.counts(record)

    def tables(
        self, record: ScenarioRecord, algorithms: Mapping[str, str] | None = None
    ) -> list[Table]:
        if not connections.counts(record):
            return super().tables(record, algorithms)
        return connections.sweep_tables(record)

    def charts(self, record: ScenarioRecord) -> list[str]:
        if not connections.counts(record):
            return super().charts(record)
        return connections.sweep_charts(record)

    def terminal_tables(self, record: ScenarioRecord) -> list[Table]:
        return [connections.terminal_table(record)] if connections.counts(record) else []
