"""What the bench knows about one arm while a scenario runs (mutable, one per arm).

An *arm* is what a round measures: a contender the lab starts, the A/A twin of the
baseline (a second, independently started instance measured as if another contender), or
an already running target. `ArmState` gathers what happens to it: ready or failed and why,
its points, its warm-up, the cores it runs on, and the point records measured so far.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Protocol

import psutil

from primebench.lab.contenders.registry import Contender
from primebench.lab.host.resources import Pinning
from primebench.lab.model.bench_records import Parallelism
from primebench.lab.model.contender_records import Conformance
from primebench.lab.model.results import ContenderInfo, PointRecord, RunRecord
from primebench.lab.model.vocabulary import ArmKind, ContenderStatus
from primebench.lab.run.measure import Server
from primebench.lab.run.remote import RemoteServer
from primebench.lab.scenarios.base import Point

__all__ = ["Arm", "ArmState", "ServerHandle", "stats_line"]


@dataclass(frozen=True)
class Arm:
    """`kind` is "contender", "aa" (the baseline's twin) or "target" (with `remote`)."""

    name: str
    contender: Contender
    kind: ArmKind
    remote: RemoteServer | None = None


class ServerHandle(Protocol):
    """The bench's server wrapper, as the round loop sees it."""

    running: Server | None
    cpus: frozenset[int] | None
    restarts: int

    def start(self, cpus: frozenset[int]) -> Server: ...

    def restart(self, *, stuck: bool = False) -> Server: ...


@dataclass
class ArmState:
    arm: Arm
    server: ServerHandle
    info: ContenderInfo
    status: ContenderStatus = "ok"
    reason: str = ""
    startup_s: float | None = None
    conformance: Conformance | None = None
    probe: RunRecord | None = None
    points: list[Point] = field(default_factory=list)
    pinning: Pinning | None = None
    warmup: RunRecord | None = None
    server_log: str = ""
    skip: str = ""  # why the remaining points are not measured ('' = go on)
    records: list[PointRecord] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return self.arm.name

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def running(self) -> Server:
        assert self.server.running is not None, "arm not started"
        return self.server.running

    def recorded_pinning(self) -> Pinning | None:
        """The cores as recorded: a target's server cores are not ours to pin (none recorded)."""
        if self.pinning is None or self.arm.remote is None:
            return self.pinning
        return Pinning(frozenset(), self.pinning.generator, shared=False)

    def fail(self, status: ContenderStatus, reason: str) -> None:
        self.status, self.reason = status, reason

    def parallelism(self) -> Parallelism | None:
        """The server's cores and what it made of them: processes and threads, as measured.

        Every contender sizes itself from the affinity mask (GOMAXPROCS, Tokio's workers,
        node-workers' pool, granian `--workers 0`), so the counts show the parallelism it
        chose for the cores given. None for a target (not our processes).
        """
        if self.arm.remote is not None or self.server.running is None or self.pinning is None:
            return None
        threads = 0
        tree = self.running.tree()
        for proc in tree:
            with contextlib.suppress(psutil.Error):
                threads += proc.num_threads()
        return Parallelism(len(self.pinning.server), len(tree), threads)


def stats_line(state: ArmState) -> str:
    """`: up in 0.41 s, verified` for the progress line."""
    up = f" in {state.startup_s:.2f} s" if state.startup_s is not None else ""
    return f" (up{up}, verified)"
