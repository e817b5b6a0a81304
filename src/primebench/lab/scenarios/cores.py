"""The article's point at 1, 2, ... server cores: who uses the cores it is given.

Each point carries its server core count; the run pins the server to that many cores
(the generator on the rest, or sharing them at the top count, which is recorded).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

from primebench.errors import UserError
from primebench.lab.model.results import ScenarioRecord
from primebench.lab.render import charts
from primebench.lab.render.scaling import cores_table
from primebench.lab.render.table import Table
from primebench.lab.scenarios.base import Point, Scenario, ScenarioSettings, Stream, prime_path

__all__ = ["Cores"]


class Cores(Scenario):
    """Each arm's later points are also compared with its first: N cores against 1."""

    name = "cores"
    description = (
        "The article's point (n=20000) at 1, 2, ... server cores: who uses the cores it is given."
    )
    generator_choosable = True
    compares_points = True

    def defaults(self) -> ScenarioSettings:
        """wrk (C, a few % of a core at ~100 req/s), because the generator shares the
        server's cores at the top count; the article's 100 connections and n."""
        cores = tuple(range(1, _usable_cores() + 1))
        return replace(self.common_defaults(), n=20000, warmup_s=3.0, server_cores=cores)

    def plan(
        self, settings: ScenarioSettings, contender: str, capacity: float | None = None
    ) -> list[Point]:
        """One point per core count; raises `UserError` for more cores than this machine gives."""
        s = settings
        usable = _usable_cores()
        for count in s.server_cores:
            if not 1 <= count <= usable:
                raise UserError(f"--server-cores {count}: this machine gives 1..{usable} cores")
        return [
            Point(
                f"cores={c}",
                f"{c} server core{'s' if c > 1 else ''}",
                {"n": s.n, "cores": c},
                (Stream("main", s.generator, prime_path(s.n), s.connections),),
                server_cores=c,
            )
            for c in s.server_cores
        ]

    def tables(
        self, record: ScenarioRecord, algorithms: Mapping[str, str] | None = None
    ) -> list[Table]:
        return [cores_table(record)]

    def charts(self, record: ScenarioRecord) -> list[str]:
        return charts.cores_chart(record)


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0))
