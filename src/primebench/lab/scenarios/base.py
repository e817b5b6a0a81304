"""What every scenario is made of: its settings, the points and streams of its plan, and
the `Scenario` base class each scenario module fills in.

A scenario expands into points (one figure each: one n, one offered rate, one convoy
phase, one server core count); the run measures each point with a warm-up and one trial
per interleaved round. Everything that differs between scenarios (defaults, plan,
generators, pre-steps, what is compared, tables, charts) is a member of its `Scenario`
subclass, so nothing outside `lab.scenarios` asks for a scenario's name. Every parameter
can be overridden from the CLI through `ScenarioSettings`, which flows one way: CLI ->
settings -> session -> rounds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from primebench.errors import UserError
from primebench.lab.model.generators import Generator
from primebench.lab.model.results import ScenarioRecord
from primebench.lab.model.vocabulary import Metric
from primebench.lab.render.table import Table

__all__ = [
    "Point",
    "Scenario",
    "ScenarioSettings",
    "ScenarioView",
    "Stream",
    "fixed_n_plan",
    "prime_path",
]


@dataclass(frozen=True)
class ScenarioSettings:
    """Every knob of a scenario; each scenario's `defaults()` says which differ and why.

    `rates=None` in the rate scenario means: offer `rate_fractions` of the capacity a
    closed-loop probe measured on the same contender, so one setting fits servers that
    differ by 10^4 in speed. `heavy_n_for` maps a contender to its own heavy n (a seed
    server cannot answer n=10^12 in any useful time; our service can).
    """

    scenario: Scenario
    generator: Generator
    duration_s: float
    connections: int
    rounds: int
    warmup_s: float
    n: int = 20000
    # The floor's connections sweep: one point per count (empty: one point at `connections`).
    connections_sweep: tuple[int, ...] = ()
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
    window_s: float = 60.0
    heavy_share: float = 0.05
    # `--rounds auto`: `rounds` is then the maximum; an arm stops after `min_rounds` once
    # its interval is within `precision` (or the A/A floor). lab/run/stopping.py.
    auto_rounds: bool = False
    min_rounds: int = 3
    precision: float = 0.03
    # `--rounds auto` under a time budget: seconds from the scenario's start (its arms'
    # start-up and checks included) to its last trial; past the minimum, no round starts
    # that would not fit (lab/run/stopping.py).
    budget_s: float | None = None

    def __post_init__(self) -> None:
        if self.rounds < 1:
            raise UserError(f"--rounds must be >= 1, got {self.rounds}")
        if self.auto_rounds and not 1 <= self.min_rounds <= self.rounds:
            raise UserError(
                f"--rounds auto needs 1 <= minimum <= maximum, got {self.min_rounds}, {self.rounds}"
            )
        if self.budget_s is not None and self.budget_s <= 0:
            raise UserError(f"--budget must be > 0 s (or none), got {self.budget_s:g}")
        if not 0 < self.precision < 1:
            raise UserError(
                f"--precision must be between 0 and 1 (0.03: 3 %), got {self.precision}"
            )
        if self.server_cores and min(self.server_cores) < 1:
            raise UserError(f"--server-cores must be >= 1, got {self.server_cores}")
        if self.warmup_s < 0:
            raise UserError(f"--warmup must be >= 0 s, got {self.warmup_s}")
        if self.duration_s <= 0:
            raise UserError(f"--duration must be > 0 s, got {self.duration_s}")
        if min((self.connections, *self.connections_sweep)) < 1:
            raise UserError(f"--connections must be >= 1, got {self.connections_settings()}")
        if min(self.n, self.heavy_n, self.light_max_n, self.heavy_connections) < 1:
            raise UserError("--n, --heavy-n, --light-max-n and --heavy-connections must be >= 1")
        if self.light_rate <= 0:
            raise UserError(f"--light-rate must be > 0 req/s, got {self.light_rate}")
        if self.window_s <= 0:
            raise UserError(f"--window must be > 0 s, got {self.window_s}")
        if not 0 < self.heavy_share < 1:
            raise UserError(f"--heavy-share must be between 0 and 1, got {self.heavy_share}")
        if not self.rate_fractions or min(self.rate_fractions) <= 0:
            raise UserError(f"--load-fraction must be > 0, got {self.rate_fractions}")

    @property
    def name(self) -> str:
        return self.scenario.name

    def connections_settings(self) -> int | list[int]:
        """`connections` as recorded: the sweep's counts, or the one count (every document
        written before the sweep existed has the int, and still round-trips)."""
        return list(self.connections_sweep) if self.connections_sweep else self.connections

    def heavy_n_of(self, contender: str) -> int:
        """The heavy stream's n for `contender` in the convoy scenario."""
        if self.heavy_n_for and contender in self.heavy_n_for:
            return self.heavy_n_for[contender]
        return self.heavy_n

    def to_json(self) -> dict[str, Any]:
        """The parameters as recorded in the results document."""
        return {
            "name": self.scenario.name,
            "description": self.scenario.description,
            "generator": str(self.generator),
            "duration_s": self.duration_s,
            "connections": self.connections_settings(),
            "rounds": self.rounds,
            **(
                {"rounds_rule": "auto", "min_rounds": self.min_rounds, "precision": self.precision}
                if self.auto_rounds
                else {}
            ),
            **({"budget_s": self.budget_s} if self.auto_rounds and self.budget_s else {}),
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
            **self.scenario.own_settings(self),
        }


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
    path_regex: str | None = None  # oha: each request's target drawn from this regex


@dataclass(frozen=True)
class Point:
    """One measured figure of a scenario: a label for tables, its parameters, and its streams.

    `server_cores`: the point runs the server on that many cores of its own (the run pins
    it); None: on the bench's cores. `duration_s`: each trial's length when it is not the
    scenario's `duration_s` (a soak's window). `processes_apart`: each trial records every
    server process's memory apart at its end (the soak).
    """

    key: str
    label: str
    params: Mapping[str, Any]
    streams: tuple[Stream, ...]
    server_cores: int | None = None
    duration_s: float | None = None
    processes_apart: bool = False


def prime_path(n: int) -> str:
    return f"/prime?n={n}"


def fixed_n_plan(settings: ScenarioSettings) -> list[Point]:
    """One closed-loop point at `settings.n` with the chosen generator (article, floor)."""
    n = settings.n
    stream = Stream("main", settings.generator, prime_path(n), settings.connections)
    return [Point(f"n={n}", f"n={n}", {"n": n}, (stream,))]


class ScenarioView(ABC):
    """How a scenario's record is shown in a report: what a document needs, no run.

    `heads_report`: a one-point scenario the article-shaped table can be drawn from (the
    earlier in the registry, the more it is preferred). `beside_claims`: the article's
    own run, shown beside the article's claimed figures.
    """

    heads_report: bool = False
    beside_claims: bool = False

    def heads(self, record: ScenarioRecord) -> bool:
        """Whether this record can head the report (a floor sweep of several points cannot:
        the article-shaped table would show its first point only)."""
        return self.heads_report

    def terminal_tables(self, record: ScenarioRecord) -> list[Table]:
        """Tables the terminal shows beside the headline (<= 120 columns); most have none."""
        return []

    @abstractmethod
    def tables(
        self, record: ScenarioRecord, algorithms: Mapping[str, str] | None = None
    ) -> list[Table]:
        """The scenario's own tables (the comparisons table is added by the page).

        `algorithms` (`footnotes.algorithm_labels` of the document) names what each contender
        computes, for the tables that mark those not answering by trial division.
        """

    @abstractmethod
    def charts(self, record: ScenarioRecord) -> list[str]:
        """The scenario's charts, as SVG."""


class Scenario(ScenarioView):
    """One scenario, all of it: how it is run (here) and how it is shown (`ScenarioView`).

    What it compares: the rounds' paired ratios are taken of `compared_metric`
    (`higher_is_better` or not); `compares_points`: each arm's later points are also
    compared with its first; `skips_after_backlog`: once a contender falls behind at one
    point, the later (heavier) points are not loaded; `generator_choosable`: `--generator`
    picks the tool of its one closed-loop stream. `compares_arms`: its points are paired
    across arms by round (not so for a soak's windows: one trial each, nothing to pair);
    `warms_up_points`: each point starts with a warm-up of `warmup_s` (a soak's warm-up is
    its first windows instead). `sweeps_connections`: `--connections` may list several
    counts, one point each (the floor). `mirrored_rounds`: each round runs its random order
    and then the same order reversed (A B C C B A), each arm's two legs merged into the
    round's figure, so a drift that is linear over the round cancels out of every pair (the
    floor, where a 10 % difference must be resolved on a noisy machine: docs/PERFORMANCE.md).
    `max_rounds`: `--rounds auto`'s most rounds per arm when `--max-rounds` is not given
    (None: the lab's default, 10).
    """

    name: str
    description: str
    compared_metric: Metric = "req_per_s"
    higher_is_better: bool = True
    compares_points: bool = False
    skips_after_backlog: bool = False
    generator_choosable: bool = False
    compares_arms: bool = True
    warms_up_points: bool = True
    sweeps_connections: bool = False
    mirrored_rounds: bool = False
    max_rounds: int | None = None

    def common_defaults(self) -> ScenarioSettings:
        """What the scenarios share unless they say otherwise.

        wrk is the default tool: written in C with one thread per generator core, where
        autocannon saturates its one core near 20-28k req/s here, below what the fastest
        contenders serve at n=1.
        """
        return ScenarioSettings(
            self, Generator.WRK, duration_s=10.0, connections=100, rounds=5, warmup_s=5.0
        )

    @abstractmethod
    def defaults(self) -> ScenarioSettings:
        """The scenario's settings before the CLI's overrides."""

    @abstractmethod
    def plan(
        self, settings: ScenarioSettings, contender: str, capacity: float | None = None
    ) -> list[Point]:
        """The points of `settings` for `contender`, in measuring order.

        `capacity` is the req/s of the `capacity_probe`, for a scenario that has one.
        """

    def generators(self, settings: ScenarioSettings) -> frozenset[Generator]:
        """The tools the scenario runs (checked installed before anything runs)."""
        return frozenset({settings.generator})

    def check(self, settings: ScenarioSettings) -> None:
        """Refuse settings this scenario cannot run (`UserError`); most take any.

        Called on the final settings (the CLI's, after its overrides), not in
        `ScenarioSettings.__post_init__`: `defaults()` builds on `common_defaults()`, whose
        intermediate values (10 s, 5 rounds) a soak would refuse."""

    def own_settings(self, settings: ScenarioSettings) -> dict[str, Any]:
        """Settings only this scenario reads, recorded beside the common ones."""
        return {}

    def capacity_probe(self, settings: ScenarioSettings, contender: str = "") -> Point | None:
        """A pre-step: a point measured on each arm before its plan, whose req/s is the
        `capacity` the plan is given. None: the plan needs no capacity. `contender`: the
        arm's, for a probe of its own load (a soak's heavy n); "" for any."""
        return None
