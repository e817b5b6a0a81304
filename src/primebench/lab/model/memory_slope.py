"""A soak's windows read back from a document, and each process's memory slope (pure).

A soak records one trial per window (`RunRecord.processes`: every server process's RSS
at the window's end). Memory that grows with the work done is a leak whatever the clock
says, so the slope is taken against requests answered, not time: MiB per 10,000
requests, per process (pid), over the windows after warm-up, plus the whole tree.

Why Theil-Sen (`scipy.stats.theilslopes`), not least squares: a soak's RSS moves in steps
(an allocator arena, a cache filling, a pool process replaced), and one step or one
outlying window pulls a least-squares line far more than the median of pairwise slopes,
which tolerates up to 29 % of bad points. Its 95 % interval is reported beside it. A
slope above FLAG_MIB_PER_10K is flagged: the issue's bound (a worker that grew 2.7 KiB
per request, 26 MiB per 10,000, must show; allocator noise of a few hundred KiB over a
30-minute soak must not).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from primebench.lab.model.process_records import ProcessMemory
from primebench.lab.model.results import ContenderRun
from primebench.lab.model.vocabulary import ProcessRole

__all__ = [
    "FLAG_MIB_PER_10K",
    "MIB",
    "MIN_WINDOWS",
    "PER_REQUESTS",
    "MemorySlope",
    "Window",
    "memory_slopes",
    "windows",
]

FLAG_MIB_PER_10K: Final = 0.5
PER_REQUESTS: Final = 10_000
MIB: Final = 1024 * 1024
MIN_WINDOWS: Final = 3
"""Fewer windows after warm-up than this give no slope (two points are a difference)."""
TREE: Final = "all"
"""The `role` of the slope of the whole tree (the sum of its processes at each window)."""


@dataclass(frozen=True)
class Window:
    """One soak window of one contender: when it ended, what the load saw, who held what.

    `requests` are the responses counted in the window (any status), `cumulative` those of
    this and every earlier window; the latency figures are None when none completed.
    `restarted`: the server could not settle after the window and was restarted (its
    processes, and their memory, start again: new pids, new series).
    """

    index: int
    end_s: float
    warmup: bool
    requests: int
    cumulative: int
    req_per_s: float | None
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    errors: int
    non_2xx: int
    timeouts: int
    processes: tuple[ProcessMemory, ...]
    restarted: bool = False

    def rss_of(self, role: ProcessRole) -> int:
        """Bytes held by the processes of `role` at the window's end."""
        return sum(p.rss_bytes for p in self.processes if p.role == role)


@dataclass(frozen=True)
class MemorySlope:
    """One process's (or the tree's, role "all", pid None) memory over the windows after
    warm-up: RSS first and last, and the Theil-Sen slope in MiB per 10,000 requests with
    its 95 % interval; `slope` None with fewer than MIN_WINDOWS samples."""

    contender: str
    role: str
    pid: int | None
    samples: int
    first_mib: float
    last_mib: float
    slope: float | None
    low: float | None
    high: float | None

    @property
    def flagged(self) -> bool:
        return self.slope is not None and self.slope > FLAG_MIB_PER_10K


def windows(run: ContenderRun) -> list[Window]:
    """The contender's soak windows in order, from its points (params `window`, `end_s`,
    `warmup`) and each point's measured trial; a point without one is left out."""
    found: list[Window] = []
    total = 0
    for point in run.points:
        trial = next((r for r in point.runs if r.kind == "measured"), None)
        if trial is None:
            continue
        load = trial.load
        lat = load.latency_ms if load is not None else None
        requests = load.requests if load is not None else 0
        total += requests
        found.append(
            Window(
                index=int(point.params.get("window", len(found))),
                end_s=float(point.params.get("end_s", 0.0)),
                warmup=bool(point.params.get("warmup", False)),
                requests=requests,
                cumulative=total,
                req_per_s=load.req_per_s if load is not None else None,
                p50_ms=lat.p50 if lat is not None else None,
                p99_ms=lat.p99 if lat is not None else None,
                max_ms=lat.max if lat is not None else None,
                errors=load.errors if load is not None else 0,
                non_2xx=load.non_2xx if load is not None else 0,
                timeouts=load.timeouts if load is not None else 0,
                processes=trial.processes or (),
                restarted=trial.restarted_after,
            )
        )
    return found


def _slope(
    contender: str, role: str, pid: int | None, points: Sequence[tuple[int, int]]
) -> MemorySlope:
    """Theil-Sen of RSS (MiB) against cumulative requests, scaled to PER_REQUESTS."""
    xs = [float(x) for x, _ in points]
    ys = [y / MIB for _, y in points]
    slope = low = high = None
    if len(points) >= MIN_WINDOWS and max(xs) > min(xs):
        from scipy import stats  # the lab alone pays for scipy's import

        fit = stats.theilslopes(ys, xs, alpha=0.95)
        values = [fit.slope * PER_REQUESTS, fit.low_slope * PER_REQUESTS]
        values.append(fit.high_slope * PER_REQUESTS)
        if all(math.isfinite(v) for v in values):
            slope, low, high = values
    first = ys[0] if ys else 0.0
    last = ys[-1] if ys else 0.0
    return MemorySlope(contender, role, pid, len(points), first, last, slope, low, high)


def memory_slopes(contender: str, found: Sequence[Window]) -> list[MemorySlope]:
    """Per process (by pid, in order of first sighting) and for the whole tree: the slope
    over the windows after warm-up. A process replaced mid-soak (a new pid) is a new
    series; the tree's series is the sum of whatever was alive at each window's end."""
    after = [w for w in found if not w.warmup and w.processes]
    series: dict[int, list[tuple[int, int]]] = {}
    roles: dict[int, ProcessRole] = {}
    for w in after:
        for p in w.processes:
            series.setdefault(p.pid, []).append((w.cumulative, p.rss_bytes))
            roles[p.pid] = p.role
    tree = [(w.cumulative, sum(p.rss_bytes for p in w.processes)) for w in after]
    slopes = [_slope(contender, roles[pid], pid, points) for pid, points in series.items()]
    return [*slopes, _slope(contender, TREE, None, tree)] if tree else slopes
