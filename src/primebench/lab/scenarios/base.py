"""The lab's scenarios as data: what load each one applies, and with which tool.

A scenario expands into points (one figure each: one n, one offered rate, one convoy
phase, one server core count); each point is measured by the bench protocol in `bench.py`
with a warm-up and one trial per interleaved round. What a scenario compares (its metric,
and whether higher is better) is decided here too, so nothing else asks for its name. Defaults reproduce the article (`article`) or answer one question each;
every parameter can be overridden from the CLI through `ScenarioSettings`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from primebench.errors import UserError
from primebench.lab.host.resources import Pinning
from primebench.lab.run.loadgen import Generator

__all__ = [
    "Point",
    "ScenarioName",
    "ScenarioSettings",
    "Stream",
    "cores_pinning",
    "default_settings",
    "generators_used",
    "log_spaced",
    "plan",
]


class ScenarioName(StrEnum):
    """The scenarios `primebench bench --scenario` accepts."""

    ARTICLE = "article"
    FLOOR = "floor"
    SWEEP = "sweep"
    RANDOM_N = "random-n"
    CONVOY = "convoy"
    RATE = "rate"
    CORES = "cores"


DESCRIPTIONS: Mapping[ScenarioName, str] = {
    ScenarioName.ARTICLE: "The article's run: n=20000, 100 connections, 10 s, autocannon.",
    ScenarioName.FLOOR: "n=1: the HTTP cost of each stack, nothing to compute.",
    ScenarioName.SWEEP: "n log-spaced from 1 to 10^6: where each engine's cost starts to show.",
    ScenarioName.RANDOM_N: "Each request a different n (uniform): no contender wins by caching one answer.",
    ScenarioName.CONVOY: (
        "A light open-loop stream of cheap requests beside a heavy stream: the light stream's "
        "latency unloaded vs loaded is the article's head-of-line claim, measured."
    ),
    ScenarioName.RATE: "Open-loop fixed offered rates (coordinated-omission corrected): latency against load.",
    ScenarioName.CORES: (
        "The article's point (n=20000) at 1, 2, ... server cores: who uses the cores it is given."
    ),
}

#: Scenarios whose headline figure is latency (open-loop streams): compared on p99, lower wins.
LATENCY_SCENARIOS = frozenset({ScenarioName.CONVOY, ScenarioName.RATE})


@dataclass(frozen=True)
class ScenarioSettings:
    """Every knob of a scenario; the defaults per scenario are in `default_settings`.

    `rates=None` in the rate scenario means: offer `rate_fractions` of the capacity a
    closed-loop probe measured on the same contender, so one setting fits servers that
    differ by 10^4 in speed. `heavy_n_for` maps a contender to its own heavy n (a seed
    server cannot answer n=10^12 in any useful time; our service can).
    """

    name: ScenarioName
    generator: Generator
    duration_s: float
    connections: int
    rounds: int
    warmup_s: float
    n: int = 20000
    sweep_ns: tuple[int, ...] = ()
    n_range: tuple[int, int] = (1, 20000)
    heavy_n: int = 20000
    heavy_n_for: Mapping[str, int] | None = None
    heavy_connections: int = 4
    light_rate: float = 50.0
    light_max_n: int = 10000
    rates: tuple[float, ...] | None = None
    rate_fractions: tuple[float, ...] = (0.25, 0.5, 0.75, 0.9, 1.1)
    server_cores: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.rounds < 1:
            raise UserError(f"--rounds must be >= 1, got {self.rounds}")
        if self.server_cores and min(self.server_cores) < 1:
            raise UserError(f"--server-cores must be >= 1, got {self.server_cores}")
        if self.warmup_s < 0:
            raise UserError(f"--warmup must be >= 0 s, got {self.warmup_s}")
        if self.duration_s <= 0:
            raise UserError(f"--duration must be > 0 s, got {self.duration_s}")
        if self.connections < 1:
            raise UserError(f"--connections must be >= 1, got {self.connections}")
        if min(self.n, self.heavy_n, self.light_max_n, self.heavy_connections) < 1:
            raise UserError("--n, --heavy-n, --light-max-n and --heavy-connections must be >= 1")
        if self.light_rate <= 0:
            raise UserError(f"--light-rate must be > 0 req/s, got {self.light_rate}")

    @property
    def compared_metric(self) -> str:
        """The figure the rounds' paired ratios are taken of."""
        return "latency_p99_ms" if self.name in LATENCY_SCENARIOS else "req_per_s"

    @property
    def higher_is_better(self) -> bool:
        return self.name not in LATENCY_SCENARIOS

    @property
    def skips_after_backlog(self) -> bool:
        """Ascending-n points: once a contender falls behind, larger n only queue (sweep)."""
        return self.name is ScenarioName.SWEEP

    @property
    def generator_choosable(self) -> bool:
        """`--generator` applies: one closed-loop stream (article, floor, sweep, cores)."""
        return self.name in (
            ScenarioName.ARTICLE,
            ScenarioName.FLOOR,
            ScenarioName.SWEEP,
            ScenarioName.CORES,
        )

    @property
    def compares_points(self) -> bool:
        """Each arm's later points are compared with its first (cores: N cores vs 1)."""
        return self.name is ScenarioName.CORES

    @property
    def needs_capacity(self) -> bool:
        """The offered rates are fractions of a closed-loop capacity probe (rate, no --rates)."""
        return self.name is ScenarioName.RATE and self.rates is None

    def heavy_n_of(self, contender: str) -> int:
        """The heavy stream's n for `contender` in the convoy scenario."""
        if self.heavy_n_for and contender in self.heavy_n_for:
            return self.heavy_n_for[contender]
        return self.heavy_n

    def to_json(self) -> dict[str, Any]:
        """The parameters as recorded in the results document."""
        return {
            "name": str(self.name),
            "description": DESCRIPTIONS[self.name],
            "generator": str(self.generator),
            "duration_s": self.duration_s,
            "connections": self.connections,
            "rounds": self.rounds,
            "warmup_s": self.warmup_s,
            "n": self.n,
            "sweep_ns": list(self.sweep_ns),
            "n_range": list(self.n_range),
            "heavy_n": self.heavy_n,
            "heavy_n_for": dict(self.heavy_n_for or {}),
            "heavy_connections": self.heavy_connections,
            "light_rate": self.light_rate,
            "light_max_n": self.light_max_n,
            "rates": None if self.rates is None else list(self.rates),
            "rate_fractions": list(self.rate_fractions),
            "server_cores": list(self.server_cores),
        }


def log_spaced(low: int, high: int, per_decade: int = 1) -> tuple[int, ...]:
    """Integers from `low` to `high` spaced evenly on a log scale, both ends included."""
    if not 1 <= low <= high:
        raise ValueError(f"need 1 <= low <= high, got {low}, {high}")
    steps = max(1, round(math.log10(high / low) * per_decade))
    values = {round(low * (high / low) ** (i / steps)) for i in range(steps + 1)}
    return tuple(sorted(values))


def default_settings(name: ScenarioName) -> ScenarioSettings:
    """The defaults of each scenario, and why they differ.

    The article scenario keeps the article's tool (autocannon). The others default to wrk,
    written in C with one thread per generator core: autocannon saturates its one core
    near 20-28k req/s here, below what the fastest contenders serve at n=1. Streams that
    must be open-loop (rate, convoy's light stream) use oha with latency correction.
    Sweep points use fewer connections so that a slow engine's backlog stays bounded.
    """
    base = ScenarioSettings(
        name, Generator.WRK, duration_s=10.0, connections=100, rounds=5, warmup_s=5.0
    )
    if name is ScenarioName.ARTICLE:
        return replace(base, generator=Generator.AUTOCANNON, n=20000)
    if name is ScenarioName.FLOOR:
        return replace(base, n=1)
    if name is ScenarioName.SWEEP:
        return replace(
            base,
            duration_s=5.0,
            connections=16,
            warmup_s=2.0,
            rounds=3,
            sweep_ns=log_spaced(1, 10**6),
        )
    if name is ScenarioName.CORES:
        # wrk (C, a few % of a core at ~100 req/s) because the generator shares the
        # server's cores at the top count; the article's 100 connections and n.
        cores = tuple(range(1, len(os.sched_getaffinity(0)) + 1))
        return replace(base, n=20000, warmup_s=3.0, server_cores=cores)
    if name is ScenarioName.RANDOM_N:
        return replace(base, n_range=(1, 20000))
    if name is ScenarioName.CONVOY:
        return replace(base, generator=Generator.OHA, warmup_s=3.0)
    return replace(base, generator=Generator.OHA, duration_s=5.0, warmup_s=3.0, n=20000)


@dataclass(frozen=True)
class Stream:
    """One load generator's share of a point: what it requests, how, and its role.

    `role` is "main" for the measured stream and "background" for the convoy's heavy stream.
    """

    role: str
    generator: Generator
    path: str
    connections: int
    rate: float | None = None
    random_n: tuple[int, int] | None = None


@dataclass(frozen=True)
class Point:
    """One measured figure of a scenario: a label for tables, its parameters, and its streams."""

    key: str
    label: str
    params: Mapping[str, Any]
    streams: tuple[Stream, ...]
    pinning: Pinning | None = None  # the point's own cores (cores scenario); None: the bench's


def cores_pinning(count: int, usable: frozenset[int]) -> Pinning:
    """The lowest `count` usable cores for the server; the generator on the rest, or shared.

    Where no core is left, the generator shares the server's cores: the run then records
    the overlap and the generator's CPU share, and flags a generator that took too much.
    """
    cpus = sorted(usable)
    if not 1 <= count <= len(cpus):
        raise UserError(f"--server-cores {count}: this machine gives 1..{len(cpus)} cores")
    server = frozenset(cpus[:count])
    rest = frozenset(cpus[count:])
    return Pinning(server, rest or server, shared=not rest)


def _prime(n: int) -> str:
    return f"/prime?n={n}"


def heavy_range(n: int) -> tuple[int, int]:
    """The convoy's heavy stream asks for n drawn uniformly from the top 0.1 % below `n`.

    The stream must keep measuring computation: our service remembers heavy answers
    (`--answer-cache`), so a repeated n would be answered at table speed after the first
    request. A thousandth of n below 10^12 is 10^9 distinct values, so repeats are rare;
    for the article's servers (trial division, no cache) n and 0.999 n cost the same.
    """
    return max(1, n - n // 1000), n


def plan(settings: ScenarioSettings, contender: str, capacity: float | None = None) -> list[Point]:
    """The points of `settings` for `contender`, in measuring order.

    The rate scenario without explicit `rates` needs `capacity` (req/s from a closed-loop
    probe; the bench measures it first); the other scenarios ignore it.
    """
    s = settings
    main = s.generator
    if s.name is ScenarioName.CORES:
        usable = frozenset(os.sched_getaffinity(0))
        return [
            Point(
                f"cores={c}",
                f"{c} server core{'s' if c > 1 else ''}",
                {"n": s.n, "cores": c},
                (Stream("main", main, _prime(s.n), s.connections),),
                cores_pinning(c, usable),
            )
            for c in s.server_cores
        ]
    if s.name in (ScenarioName.ARTICLE, ScenarioName.FLOOR):
        stream = Stream("main", main, _prime(s.n), s.connections)
        return [Point(f"n={s.n}", f"n={s.n}", {"n": s.n}, (stream,))]
    if s.name is ScenarioName.SWEEP:
        return [
            Point(f"n={n}", f"n={n}", {"n": n}, (Stream("main", main, _prime(n), s.connections),))
            for n in s.sweep_ns
        ]
    if s.name is ScenarioName.RANDOM_N:
        lo, hi = s.n_range
        stream = Stream("main", Generator.WRK, _prime(lo), s.connections, random_n=(lo, hi))
        return [
            Point(f"n~U[{lo},{hi}]", f"n uniform in {lo}..{hi}", {"n_range": [lo, hi]}, (stream,))
        ]
    if s.name is ScenarioName.CONVOY:
        heavy_n = s.heavy_n_of(contender)
        light = Stream(
            "main",
            Generator.OHA,
            _prime(1),
            min(s.connections, 32),
            rate=s.light_rate,
            random_n=(1, s.light_max_n),
        )
        lo, hi = heavy_range(heavy_n)
        heavy = Stream(
            "background", Generator.WRK, _prime(hi), s.heavy_connections, random_n=(lo, hi)
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
    rates = s.rates if s.rates is not None else _fractions_of(capacity, s.rate_fractions)
    return [
        Point(
            f"rate={_fmt_rate(r)}",
            f"{_fmt_rate(r)} req/s offered",
            {"n": s.n, "rate": r},
            (Stream("main", Generator.OHA, _prime(s.n), s.connections, rate=r),),
        )
        for r in rates
    ]


def generators_used(settings: ScenarioSettings) -> frozenset[Generator]:
    """The tools a scenario runs (the rate scenario's capacity probe is wrk)."""
    if settings.name in (
        ScenarioName.ARTICLE,
        ScenarioName.FLOOR,
        ScenarioName.SWEEP,
        ScenarioName.CORES,
    ):
        return frozenset({settings.generator})
    if settings.name is ScenarioName.RANDOM_N:
        return frozenset({Generator.WRK})
    return frozenset({Generator.WRK, Generator.OHA})


def _fractions_of(capacity: float | None, fractions: tuple[float, ...]) -> tuple[float, ...]:
    if capacity is None or capacity <= 0:
        raise ValueError("the rate scenario needs a measured capacity when no --rates are given")
    return tuple(_round_rate(capacity * f) for f in fractions)


def _round_rate(rate: float) -> float:
    """Two significant digits: offered rates read as round numbers in tables."""
    if rate <= 0:
        return rate
    digits = 1 - math.floor(math.log10(rate))
    return round(rate, digits)


def _fmt_rate(rate: float) -> str:
    return f"{rate:g}"
