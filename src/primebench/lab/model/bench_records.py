"""Where and how a bench ran: the machine, the cores, the protocol, what disturbed a trial.

The host measures these facts (`host.machine`, `host.resources`, `host.disturbance`) and
the run records them; the records are the results document's format as they stand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, NonNegativeInt, PositiveInt

from primebench.lab.model.vocabulary import RECORD_CONFIG, StopReason

__all__ = [
    "DEFAULT_THRESHOLD",
    "STALL_S",
    "CorePinning",
    "Disturbance",
    "Machine",
    "Parallelism",
    "Protocol",
    "RoundOrder",
    "Stopping",
]

#: Share of a trial's core time lost to steal or to other processes that flags it.
DEFAULT_THRESHOLD = 0.10
#: Steal that flags an open-loop (latency) trial whatever its share: the hypervisor may
#: have taken it in one piece, and one 50 ms stall holds ~1 % of a 50 req/s stream for
#: 50x its ~1 ms p99. A convoy round set its p99 to 24.7 ms with 0.18 s of steal in 30 s,
#: 0.3 % of the cores' time: far under the share (README, run AE).
STALL_S = 0.05


@dataclass(frozen=True)
class Machine:
    """CPU model, logical cores (all, and those usable by the bench), memory, OS, Python."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    cpu_model: str
    cores: PositiveInt
    usable_cores: tuple[NonNegativeInt, ...]
    memory_bytes: NonNegativeInt
    os: str
    kernel: str
    arch: str
    python: str
    python_executable: str


@dataclass(frozen=True)
class CorePinning:
    """The cores given to the servers and to the load generator (`shared`: the same ones)."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    server: Annotated[tuple[NonNegativeInt, ...], Field(min_length=1)]
    generator: Annotated[tuple[NonNegativeInt, ...], Field(min_length=1)]
    shared: bool


@dataclass(frozen=True)
class Protocol:
    """How the rounds ran: their seed and count per scenario, the baseline, the checks.

    `max_repeats` is 0 unless `strict` (then: how often a disturbed trial may be measured
    again); `servers` says in words whether servers were restarted before every trial.
    """

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    seed: int
    rounds: Mapping[str, PositiveInt]
    baseline: str | None
    calibrate: bool
    strict: bool
    max_repeats: NonNegativeInt
    servers: str


@dataclass(frozen=True)
class Stopping:
    """How many rounds one arm got at one point, and why they ended (`run.stopping`).

    `halfwidth` is the half-width of the arm's comparison interval on the log scale, as a
    fraction (0.03: the geometric mean is known to within about 3 %), when the rounds
    ended; `target` the precision it was held to (None: fixed rounds, no target).
    """

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    rounds: NonNegativeInt
    reason: StopReason
    halfwidth: float | None
    target: float | None


@dataclass(frozen=True)
class Parallelism:
    """A server's cores and what it made of them: processes and threads, as measured."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    cores: PositiveInt
    processes: NonNegativeInt
    threads: NonNegativeInt


@dataclass(frozen=True)
class Disturbance:
    """What happened on `cpus` during a trial, besides the processes the lab ran there."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    cpus: tuple[NonNegativeInt, ...]
    wall_s: float
    steal_s: float
    busy_s: float
    own_s: float  # CPU seconds of the processes we know of (server tree + generator)
    others_s: float  # max(0, busy_s - own_s): other processes on these cores
    steal_share: float  # steal_s / (wall_s * len(cpus))
    others_share: float  # others_s / (wall_s * len(cpus))

    def disturbed(self, threshold: float = DEFAULT_THRESHOLD, stall_s: float | None = None) -> bool:
        """More than `threshold` of the cores' time went to steal or to other processes, or
        (`stall_s`, for a trial judged by its tail latency) at least that much to steal."""
        stalled = stall_s is not None and self.steal_s >= stall_s
        return stalled or self.steal_share > threshold or self.others_share > threshold


@dataclass(frozen=True)
class RoundOrder:
    """The order in which one round measured the arms of one point."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    point: str
    index: NonNegativeInt
    order: tuple[str, ...]
