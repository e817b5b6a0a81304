"""How much CPU and memory this process may use: its affinity mask and its cgroup's limits.

A container limited with `--cpus 1` still sees every core of its node in its affinity
mask (`nproc` says 2 under a quota of one core), so sizing by the mask alone starts more
workers, pool processes and primecount threads than the quota can run: they then take
turns being throttled. The cgroup's CPU quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us` /
`cpu.cfs_period_us`) is the other bound; the lower of the two wins. The memory limit (v2
`memory.max`, v1 `memory.limit_in_bytes`) bounds how many pool processes are started.

Every reader takes the filesystem root as a parameter, so tests feed fake cgroup trees.
A missing or unreadable file means "no limit": these files are a hint about the
environment, never a reason to refuse to start.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["Limits", "cpu_quota", "memory_limit", "read_limits"]

# v1 writes this (or a page-rounded neighbour) for "no memory limit"; anything this large is none.
_UNLIMITED_BYTES = 2**60


@dataclass(frozen=True)
class Limits:
    """What the process may use. `cpu_limit` is a float: a quota of 150000/100000 is 1.5."""

    affinity: int
    quota: float | None  # CPUs per the cgroup quota; None: no quota
    memory_bytes: int | None  # None: no memory limit

    @property
    def cpu_limit(self) -> float:
        return float(self.affinity) if self.quota is None else min(float(self.affinity), self.quota)

    @property
    def whole_cpus(self) -> int:
        """CPUs to size by: the limit rounded down, at least 1 (1.5 -> 1: a second process
        would only run half the time, throttled, while holding its share of the work)."""
        return max(1, math.floor(self.cpu_limit + 1e-9))


def read_limits(root: Path = Path("/"), affinity: int | None = None) -> Limits:
    """The limits of the calling process, read under `root` (tests pass a fake tree)."""
    if affinity is None:
        affinity = len(os.sched_getaffinity(0))
    return Limits(affinity, cpu_quota(root), memory_limit(root))


def cpu_quota(root: Path) -> float | None:
    """The lowest CPU quota of this process's cgroup and its ancestors, in CPUs; None if none."""
    quotas = [_v2_cpu(d) for d in _cgroup_dirs(root, "")] or []
    quotas += [
        _v1_cpu(d) for controller in ("cpu", "cpu,cpuacct") for d in _cgroup_dirs(root, controller)
    ]
    found = [q for q in quotas if q is not None]
    return min(found) if found else None


def memory_limit(root: Path) -> int | None:
    """The lowest memory limit of this process's cgroup and its ancestors, in bytes; None if none."""
    limits = [_read_bytes(d / "memory.max") for d in _cgroup_dirs(root, "")]
    limits += [_read_bytes(d / "memory.limit_in_bytes") for d in _cgroup_dirs(root, "memory")]
    found = [limit for limit in limits if limit is not None]
    return min(found) if found else None


def _cgroup_dirs(root: Path, controller: str) -> list[Path]:
    """The directories of this process's cgroup for `controller` ("" = the v2 unified tree),
    from the cgroup itself up to the mount point.

    In a container with its own cgroup namespace the path in /proc/self/cgroup is "/" and
    the mount point is the container's cgroup; on a host the path leads below the mount.
    A path that does not exist under the mount (a v1 container seeing its host path) falls
    back to the mount point itself.
    """
    mount = _mount_point(root, controller)
    if mount is None:
        return []
    relative = _cgroup_path(root, controller)
    parts = PurePosixPath(relative).parts[1:] if relative else ()
    directories = [mount.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]
    return [d for d in directories if d.is_dir()]


def _mount_point(root: Path, controller: str) -> Path | None:
    base = root / "sys/fs/cgroup"
    if not controller:
        for candidate in (base, base / "unified"):
            if (candidate / "cgroup.controllers").is_file():
                return candidate
        return None
    candidate = base / controller
    return candidate if candidate.is_dir() else None


def _cgroup_path(root: Path, controller: str) -> str | None:
    """This process's path in the hierarchy of `controller`, from /proc/self/cgroup."""
    try:
        lines = (root / "proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    wanted = set(controller.split(",")) if controller else set()
    for line in lines:
        _, names, path = line.split(":", 2)
        if (not controller and names == "") or (controller and wanted <= set(names.split(","))):
            return path
    return None


def _v2_cpu(directory: Path) -> float | None:
    """`cpu.max` is "QUOTA PERIOD" in microseconds, or "max PERIOD" for no quota."""
    try:
        quota, period = (directory / "cpu.max").read_text().split()
        return None if quota == "max" else _ratio(int(quota), int(period))
    except (OSError, ValueError):
        return None


def _v1_cpu(directory: Path) -> float | None:
    """`cpu.cfs_quota_us` is -1 for no quota."""
    try:
        quota = int((directory / "cpu.cfs_quota_us").read_text())
        period = int((directory / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return _ratio(quota, period)


def _ratio(quota: int, period: int) -> float | None:
    return quota / period if quota > 0 and period > 0 else None


def _read_bytes(file: Path) -> int | None:
    try:
        text = file.read_text().strip()
    except OSError:
        return None
    if text == "max" or not text.isdigit():
        return None
    value = int(text)
    return None if value >= _UNLIMITED_BYTES else value
