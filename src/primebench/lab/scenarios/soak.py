"""Hours, not seconds: an open-loop mixed load at a fraction of capacity, window by window.

The soak is one long measurement per contender cut into windows (`--window`, default
60 s): each window is one point, measured once (one bounded oha run at the offered rate),
so the document holds a time series of req/s, latency, errors and each server process's
memory (pid, role, RSS at the window's end). `--duration` is the whole soak; the first
`--warmup` seconds of windows are recorded but left out of the memory slope.

The load: open loop (`oha -q`, coordinated-omission corrected) at `--load-fraction` of
the capacity a closed-loop oha run of the same mix measured first (`--rates R` sets it
instead), over a mix of light n (1..`--light-max-n`) and, `--heavy-share` of the time, a
heavy n drawn from a block of 10^(d-2) values just below `--heavy-n` (per contender:
`model.n_regex.heavy_block`), so no answer cache serves the tail. Our service answers n
up to 10^6 from its table and computes only above 10^7, so its default heavy n is 10^8
(the range of issue 20's leak); the article's servers divide by trial and get 20,000.

Several contenders soak in turn, window by window (one round per window, in a random
order): N contenders take N times `--duration`. Windows are not compared across arms (one
trial each: nothing to pair); the report shows each process's memory slope in MiB per
10,000 requests after warm-up, flagged above 0.5 (`model.memory_slope`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from primebench.errors import UserError
from primebench.lab.model import memory_slope, n_regex
from primebench.lab.model.generators import Generator
from primebench.lab.model.results import ScenarioRecord
from primebench.lab.render import soak_tables
from primebench.lab.render.table import Table
from primebench.lab.scenarios.base import Point, Scenario, ScenarioSettings, Stream
from primebench.lab.scenarios.rate import round_rate

__all__ = ["DEFAULT_HEAVY_N_FOR", "PROBE_S", "Soak"]

DEFAULT_HEAVY_N_FOR: Mapping[str, int] = {"primebench": 100_000_000}
"""Our service's heavy n: past its table (10^6) and primecount-on-the-loop range (10^7)."""
PROBE_S = 10.0
"""The capacity probe's length at most (a window, when shorter)."""


class Soak(Scenario):
    """One point per window; the rounds loop measures each once, with no warm-up run."""

    name = "soak"
    description = (
        "Open-loop mixed light/heavy n at a fraction of capacity for a long time, window by "
        "window: req/s, latency, errors and every server process's memory; memory slope per "
        "10,000 requests after warm-up."
    )
    compared_metric = "latency_p99_ms"
    higher_is_better = False
    compares_arms = False
    warms_up_points = False

    def defaults(self) -> ScenarioSettings:
        return replace(
            self.common_defaults(),
            generator=Generator.OHA,
            duration_s=1800.0,
            warmup_s=300.0,
            rounds=1,
            connections=50,
            heavy_n=20000,
            heavy_n_for=DEFAULT_HEAVY_N_FOR,
            rate_fractions=(0.5,),
        )

    def check(self, settings: ScenarioSettings) -> None:
        """Whole windows, and at least MIN_WINDOWS of them after warm-up (a slope needs them)."""
        s = settings
        if s.rounds != 1:
            raise UserError(
                f"the soak measures each window once: --rounds must be 1, got {s.rounds}"
            )
        after = window_count(s) - warmup_windows(s)
        if after < memory_slope.MIN_WINDOWS:
            raise UserError(
                f"--duration {s.duration_s:g} s in --window {s.window_s:g} s windows leaves "
                f"{max(after, 0)} after the --warmup of {s.warmup_s:g} s; the memory slope "
                f"needs {memory_slope.MIN_WINDOWS}"
            )

    def own_settings(self, settings: ScenarioSettings) -> dict[str, Any]:
        return {
            "window_s": settings.window_s,
            "heavy_share": settings.heavy_share,
            "load_fraction": settings.rate_fractions[0],
        }

    def _mix(self, settings: ScenarioSettings, contender: str) -> n_regex.Mix:
        heavy_n = settings.heavy_n_of(contender)
        return n_regex.mix(settings.light_max_n, heavy_n, settings.heavy_share)

    def _stream(self, settings: ScenarioSettings, mix: n_regex.Mix, rate: float | None) -> Stream:
        path = f"/prime?n={mix.heavy_hi}"  # what a reader sees; the regex is what oha asks
        return Stream(
            "main", Generator.OHA, path, settings.connections, rate=rate, path_regex=mix.path_regex
        )

    def capacity_probe(self, settings: ScenarioSettings, contender: str = "") -> Point | None:
        """Closed-loop oha over the contender's own mix, when no `--rates` were given."""
        if settings.rates is not None:
            return None
        mix = self._mix(settings, contender)
        length = min(settings.window_s, PROBE_S)
        params = {"heavy_share": float(mix.heavy_share), "heavy_lo": mix.heavy_lo}
        stream = self._stream(settings, mix, None)
        return Point("capacity", "closed-loop capacity of the mix", params, (stream,), None, length)

    def plan(
        self, settings: ScenarioSettings, contender: str, capacity: float | None = None
    ) -> list[Point]:
        """`window_count` windows at one offered rate, each `window_s` long."""
        s = settings
        if s.rates is not None:
            rate = s.rates[0]
        elif capacity is not None and capacity > 0:
            rate = round_rate(capacity * s.rate_fractions[0])
        else:
            raise ValueError("the soak needs a measured capacity when no --rates are given")
        mix = self._mix(s, contender)
        stream = self._stream(s, mix, rate)
        warm = warmup_windows(s)
        points = []
        for i in range(window_count(s)):
            params = {
                "window": i,
                "start_s": i * s.window_s,
                "end_s": (i + 1) * s.window_s,
                "warmup": i < warm,
                "rate": rate,
                "capacity": capacity,
                "heavy_share": float(mix.heavy_share),
                "light_max_n": mix.light_max_n,
                "heavy_lo": mix.heavy_lo,
                "heavy_hi": mix.heavy_hi,
            }
            label = f"window {i + 1} ({i * s.window_s / 60:g}-{(i + 1) * s.window_s / 60:g} min)"
            points.append(
                Point(f"window={i + 1:04d}", label, params, (stream,), None, s.window_s, True)
            )
        return points

    def generators(self, settings: ScenarioSettings) -> frozenset[Generator]:
        return frozenset({Generator.OHA})

    def tables(
        self, record: ScenarioRecord, algorithms: Mapping[str, str] | None = None
    ) -> list[Table]:
        slopes = soak_tables.slope_table(record)
        return ([slopes] if slopes else []) + soak_tables.window_tables(record)

    def charts(self, record: ScenarioRecord) -> list[str]:
        return soak_tables.rss_chart(record)


def window_count(settings: ScenarioSettings) -> int:
    """Whole windows in `duration_s` (a last partial window is not run)."""
    return math.floor(settings.duration_s / settings.window_s + 1e-9)


def warmup_windows(settings: ScenarioSettings) -> int:
    """Windows that end within `warmup_s` (at least partly warm-up: left out of the slope)."""
    return math.ceil(settings.warmup_s / settings.window_s - 1e-9)
