"""Cores and costs: how the server and the generator share the CPUs, and what a server used.

`cpu_split` keeps server and load generator on disjoint cores so they do not fight.

A server's cost is not one process: granian forks workers, python-pool a process
pool, so a `ps` of the leader undercounts. psutil samples the leader and every
descendant; CPU time comes from each process's own counters (exact, not sampled),
peak RSS is the largest sum seen over the samples (so a spike shorter than the
interval can be missed: the interval is 50 ms by default).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Self

import psutil

from primebench.errors import UserError
from primebench.lab.model.bench_records import CorePinning
from primebench.lab.model.process_records import ProcessMemory
from primebench.lab.model.vocabulary import ProcessRole

__all__ = [
    "SAMPLE_INTERVAL_S",
    "Pinning",
    "ResourceMeter",
    "ResourceUsage",
    "cores_pinning",
    "cpu_split",
    "process_memory",
    "process_tree",
]

SAMPLE_INTERVAL_S = 0.05


@dataclass(frozen=True)
class Pinning:
    """Disjoint core sets for the server and the load generator (`shared` when impossible)."""

    server: frozenset[int]
    generator: frozenset[int]
    shared: bool

    def record(self) -> CorePinning:
        """As the results document records it: sorted core lists."""
        return CorePinning(tuple(sorted(self.server)), tuple(sorted(self.generator)), self.shared)


def cpu_split(
    cpus_available: frozenset[int] | None = None, server_cores: int | None = None
) -> Pinning:
    """Default pinning: the server gets all but the last core, the generator the last.

    `server_cores` overrides how many (lowest-numbered) cores the server gets; the
    generator always gets the rest. On one core both share it and `shared` says so.
    """
    cpus = sorted(cpus_available if cpus_available is not None else os.sched_getaffinity(0))
    if not cpus:
        raise ValueError("no CPU available")
    if len(cpus) == 1:
        return Pinning(frozenset(cpus), frozenset(cpus), shared=True)
    count = len(cpus) - 1 if server_cores is None else server_cores
    if not 1 <= count < len(cpus):
        raise ValueError(f"server_cores must be between 1 and {len(cpus) - 1}, got {count}")
    return Pinning(frozenset(cpus[:count]), frozenset(cpus[count:]), shared=False)


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


def process_tree(pid: int) -> list[psutil.Process]:
    """The process and all its live descendants ([] when it is gone)."""
    try:
        leader = psutil.Process(pid)
        return [leader, *leader.children(recursive=True)]
    except psutil.Error:
        return []


#: multiprocessing's own processes (resource tracker, forkserver) are spawned with `-c`
#: and one of these module names in their command line.
_HELPER_MODULES = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def _role(depth: int, cmdline: str, parent_cmdline: str) -> ProcessRole:
    """main (depth 0), worker (1), helper (a multiprocessing helper), pool (the rest).

    A forkserver's children are pool processes, though their command line is the
    forkserver's (they are its forks): a process is a helper only when its parent is not one.
    """
    if depth == 0:
        return "main"
    if any(m in cmdline for m in _HELPER_MODULES) and not any(
        m in parent_cmdline for m in _HELPER_MODULES
    ):
        return "helper"
    return "worker" if depth == 1 else "pool"


def process_memory(pid: int) -> tuple[ProcessMemory, ...]:
    """Every live process of the tree rooted at `pid`, apart: pid, parent, role and RSS.

    One pass, parents before children; a process that exits while it is read is left out
    (it held nothing at the end). () when `pid` is gone.
    """
    try:
        leader = psutil.Process(pid)
        procs = [leader, *leader.children(recursive=True)]
    except psutil.Error:
        return ()
    depth: dict[int, int] = {pid: 0}
    cmdlines: dict[int, str] = {}
    found = []
    for proc in procs:
        try:
            with proc.oneshot():
                parent = proc.ppid()
                rss = proc.memory_info().rss
                cmdlines[proc.pid] = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        level = 0 if proc.pid == pid else depth.get(parent, 0) + 1
        depth[proc.pid] = level
        role = _role(level, cmdlines[proc.pid], cmdlines.get(parent, ""))
        found.append(ProcessMemory(proc.pid, None if level == 0 else parent, role, rss))
    return tuple(found)


@dataclass(frozen=True)
class ResourceUsage:
    """CPU seconds (user + system) and peak RSS summed over a server's process tree."""

    cpu_s: float
    peak_rss_bytes: int
    wall_s: float
    samples: int


class ResourceMeter:
    """Samples a process tree in a thread; `usage` is valid once the block has exited.

    CPU time is counted per pid from its first sighting, so workers that start or
    exit during the block are included up to their last sample.
    """

    def __init__(self, pid: int, interval_s: float = SAMPLE_INTERVAL_S) -> None:
        self._pid = pid
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._peak_rss = 0
        self._samples = 0
        self._started = time.monotonic()
        self._started_epoch = time.time()
        self._result: ResourceUsage | None = None
        self._thread = threading.Thread(target=self._run, name=f"sampler-{pid}", daemon=True)

    @property
    def usage(self) -> ResourceUsage:
        if self._result is None:
            raise RuntimeError("resource usage is known only after the sampled block exits")
        return self._result

    def _sample(self) -> None:
        rss = 0
        for proc in process_tree(self._pid):
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    cpu = times.user + times.system
                    rss += proc.memory_info().rss
                    created = proc.create_time()
            except psutil.Error:
                continue
            if proc.pid not in self._first:
                # A process born during the block counts from zero, not from its first sighting.
                self._first[proc.pid] = 0.0 if created > self._started_epoch else cpu
            self._last[proc.pid] = cpu
        self._peak_rss = max(self._peak_rss, rss)
        self._samples += 1

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self._sample()

    def __enter__(self) -> Self:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        cpu = sum(self._last[pid] - self._first[pid] for pid in self._last)
        self._result = ResourceUsage(
            cpu_s=cpu,
            peak_rss_bytes=self._peak_rss,
            wall_s=time.monotonic() - self._started,
            samples=self._samples,
        )
