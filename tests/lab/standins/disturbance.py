"""Stand-in for `primebench.lab.disturbance` (reads /proc/stat like the agreed interface)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSample:
    per_cpu: Mapping[int, tuple[float, float, float]]  # busy, steal, total (seconds)
    monotonic_s: float


def sample(proc_stat: Path = Path("/proc/stat")) -> CpuSample:
    per: dict[int, tuple[float, float, float]] = {}
    for line in proc_stat.read_text().splitlines():
        name, *fields = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        v = [int(x) / TICK for x in fields]
        idle = v[3] + v[4]
        steal = v[7] if len(v) > 7 else 0.0
        total = sum(v[:8])
        per[int(name[3:])] = (total - idle - steal, steal, total)
    return CpuSample(per, time.monotonic())


@dataclass(frozen=True)
class Disturbance:
    cpus: tuple[int, ...]
    wall_s: float
    steal_s: float
    busy_s: float
    own_s: float
    others_s: float
    steal_share: float
    others_share: float

    def disturbed(self, threshold: float = 0.10) -> bool:
        return self.steal_share > threshold or self.others_share > threshold

    def to_json(self) -> dict[str, object]:
        return {
            "cpus": list(self.cpus),
            "wall_s": self.wall_s,
            "steal_s": self.steal_s,
            "busy_s": self.busy_s,
            "own_s": self.own_s,
            "others_s": self.others_s,
            "steal_share": self.steal_share,
            "others_share": self.others_share,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Disturbance:
        return cls(**{**d, "cpus": tuple(d["cpus"])})


def between(
    before: CpuSample, after: CpuSample, cpus: Iterable[int], own_cpu_s: float
) -> Disturbance:
    chosen = tuple(sorted(cpus))
    wall = after.monotonic_s - before.monotonic_s
    busy = sum(after.per_cpu[c][0] - before.per_cpu[c][0] for c in chosen)
    steal = sum(after.per_cpu[c][1] - before.per_cpu[c][1] for c in chosen)
    others = max(0.0, busy - own_cpu_s)
    room = wall * len(chosen) or 1.0
    return Disturbance(chosen, wall, steal, busy, own_cpu_s, others, steal / room, others / room)
