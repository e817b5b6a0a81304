"""Was a trial disturbed? CPU steal and other processes' CPU on its cores, from /proc/stat.

A trial on a shared machine can lose its cores to a neighbour (another process) or to the
hypervisor (steal). Both are read, not guessed: per-CPU time from /proc/stat before and
after the trial, minus the CPU time of the processes the lab knows it ran there (the
server's process tree and the load generator), which the caller measures.

/proc/stat's per-CPU line is `cpuN user nice system idle iowait irq softirq steal guest
guest_nice` in clock ticks (SC_CLK_TCK). guest and guest_nice are already counted in user
and nice, so they are not added again; iowait is idle time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from primebench.lab.model.bench_records import DEFAULT_THRESHOLD, STALL_S, Disturbance

__all__ = [
    "DEFAULT_THRESHOLD",
    "STALL_S",
    "CpuSample",
    "CpuTimes",
    "Disturbance",
    "between",
    "parse",
    "sample",
]


@dataclass(frozen=True)
class CpuTimes:
    """One CPU's cumulative times since boot, in seconds."""

    busy_s: float  # user + nice + system + irq + softirq
    steal_s: float
    total_s: float  # busy + idle + iowait + steal


@dataclass(frozen=True)
class CpuSample:
    """Per-CPU times from /proc/stat and the monotonic clock when they were read."""

    cpus: Mapping[int, CpuTimes]
    monotonic_s: float


def _times(fields: list[str], tick_s: float) -> CpuTimes:
    user, nice, system, idle, iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    busy = user + nice + system + irq + softirq
    return CpuTimes(busy * tick_s, steal * tick_s, (busy + idle + iowait + steal) * tick_s)


def parse(text: str, monotonic_s: float, ticks_per_s: int) -> CpuSample:
    """The per-CPU lines of /proc/stat's `text` (the aggregate `cpu` line is skipped)."""
    cpus: dict[int, CpuTimes] = {}
    for line in text.splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name != "cpu":
            if len(fields) < 8:
                raise ValueError(f"/proc/stat line has {len(fields)} fields, need 8: {line!r}")
            cpus[int(name[3:])] = _times(fields, 1.0 / ticks_per_s)
    if not cpus:
        raise ValueError("no per-CPU lines in /proc/stat")
    return CpuSample(cpus, monotonic_s)


def sample(proc_stat: Path = Path("/proc/stat")) -> CpuSample:
    """Read the per-CPU times now (cost: one small file read)."""
    text = proc_stat.read_text()
    return parse(text, time.monotonic(), os.sysconf("SC_CLK_TCK"))


def between(
    before: CpuSample, after: CpuSample, cpus: Iterable[int], own_cpu_s: float
) -> Disturbance:
    """The disturbance on `cpus` from `before` to `after`, given our own processes' CPU time.

    Our processes must have run only on `cpus` (they are pinned there), or their time
    elsewhere would be subtracted from others' here. Shares are of the cores' wall time.
    """
    chosen = tuple(sorted(set(cpus)))
    if not chosen:
        raise ValueError("no CPUs to measure the disturbance on")
    missing = [c for c in chosen if c not in before.cpus or c not in after.cpus]
    if missing:
        raise ValueError(f"CPUs {missing} are not in /proc/stat (offline?)")
    wall = after.monotonic_s - before.monotonic_s
    if wall <= 0:
        raise ValueError(f"the second sample must be later than the first (wall {wall} s)")
    steal = sum(after.cpus[c].steal_s - before.cpus[c].steal_s for c in chosen)
    busy = sum(after.cpus[c].busy_s - before.cpus[c].busy_s for c in chosen)
    others = max(0.0, busy - own_cpu_s)
    core_s = wall * len(chosen)
    return Disturbance(
        cpus=chosen,
        wall_s=wall,
        steal_s=steal,
        busy_s=busy,
        own_s=own_cpu_s,
        others_s=others,
        steal_share=steal / core_s,
        others_share=others / core_s,
    )
