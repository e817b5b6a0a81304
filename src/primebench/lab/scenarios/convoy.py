"""A light stream beside a heavy one: the article's head-of-line claim, measured.

Two points per contender: the light open-loop stream alone ("unloaded"), then the same
stream beside a closed-loop stream of heavy requests ("loaded"); the light stream's p99
is compared, lower being better.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from primebench.lab.model.generators import Generator
from primebench.lab.model.results import ScenarioRecord
from primebench.lab.render import charts
from primebench.lab.render.table import Table
from primebench.lab.render.tables import convoy_table
from primebench.lab.scenarios.base import Point, Scenario, ScenarioSettings, Stream, prime_path

__all__ = ["Convoy", "heavy_range"]


def heavy_range(n: int) -> tuple[int, int]:
    """The convoy's heavy stream asks for n drawn uniformly from the top 0.1 % below `n`.

    The stream must keep measuring computation: our service remembers heavy answers
    (`--answer-cache`), so a repeated n would be answered at table speed after the first
    request. A thousandth of n below 10^12 is 10^9 distinct values, so repeats are rare;
    for the article's servers (trial division, no cache) n and 0.999 n cost the same.
    """
    return max(1, n - n // 1000), n


class Convoy(Scenario):
    """The light stream is oha (open-loop, latency corrected); the heavy one is wrk."""

    name = "convoy"
    description = (
        "A light open-loop stream of cheap requests beside a heavy stream: the light stream's "
        "latency unloaded vs loaded is the article's head-of-line claim, measured."
    )
    compared_metric = "latency_p99_ms"
    higher_is_better = False

    def defaults(self) -> ScenarioSettings:
        return replace(self.common_defaults(), generator=Generator.OHA, warmup_s=3.0)

    def plan(
        self, settings: ScenarioSettings, contender: str, capacity: float | None = None
    ) -> list[Point]:
        s = settings
        heavy_n = s.heavy_n_of(contender)
        light = Stream(
            "main",
            Generator.OHA,
            prime_path(1),
            min(s.connections, 32),
            rate=s.light_rate,
            random_n=(1, s.light_max_n),
        )
        lo, hi = heavy_range(heavy_n)
        heavy = Stream(
            "background", Generator.WRK, prime_path(hi), s.heavy_connections, random_n=(lo, hi)
        )
        params = {
            "light_rate": s.light_rate,
            "light_max_n": s.light_max_n,
            "heavy_n": heavy_n,
            "heavy_connections": s.heavy_connections,
        }
        return [
            Point("unloaded", "light stream alone", params, (light,)),
            Point("loaded", f"light stream beside heavy n={heavy_n}", params, (light, heavy)),
        ]

    def generators(self, settings: ScenarioSettings) -> frozenset[Generator]:
        return frozenset({Generator.WRK, Generator.OHA})

    def tables(
        self, record: ScenarioRecord, algorithms: Mapping[str, str] | None = None
    ) -> list[Table]:
        return [convoy_table(record)]

    def charts(self, record: ScenarioRecord) -> list[str]:
        return charts.convoy_chart(record)
