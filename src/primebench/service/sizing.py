"""How many workers, pool processes and primecount threads to run, from the settings and limits.

Decided once, in the main process, and passed down: every worker sizes its pool and its
threads from the same numbers, and /metrics shows them (`primebench_workers`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from primebench.service.cpus import Limits
from primebench.service.settings import Settings

__all__ = ["POOL_PROCESS_BYTES", "Sizing", "size"]

# What one pool process may hold at its peak: interpreter, numpy, primecount's sieve at
# n = 10^16 (measured RSS 60-70 MiB; docs/RELIABILITY.md), rounded up.
POOL_PROCESS_BYTES = 128 * 2**20
# Share of a memory limit the pools may fill; the rest is the workers' (table, connections).
POOL_MEMORY_SHARE = 0.5


@dataclass(frozen=True)
class Sizing:
    workers: int
    pool_processes: int  # per worker
    compute_threads: int  # primecount (OpenMP) threads per computation
    cpu_limit: float
    memory_bytes: int | None

    def describe(self) -> str:
        memory = "none" if self.memory_bytes is None else f"{self.memory_bytes / 2**20:.0f} MiB"
        return (
            f"sizing: {self.workers} workers x {self.pool_processes} pool processes x "
            f"{self.compute_threads} compute threads (CPU limit {self.cpu_limit:g}, memory limit {memory})"
        )


def size(settings: Settings, limits: Limits) -> Sizing:
    """Settings win where they are not 0; otherwise the CPU limit decides, rounded down.

    Pool processes per worker default to CPUs / workers (at least 1), lowered if the memory
    limit could not hold them all; threads per computation to CPUs / all pool processes, so
    that a full pool does not oversubscribe the CPUs (measured: docs/RELIABILITY.md).
    """
    cpus = limits.whole_cpus
    workers = settings.workers or cpus
    pool = settings.pool_size or max(1, cpus // workers)
    if not settings.pool_size and limits.memory_bytes is not None:
        fits = int(limits.memory_bytes * POOL_MEMORY_SHARE) // (POOL_PROCESS_BYTES * workers)
        pool = max(1, min(pool, fits))
    threads = settings.compute_threads or max(1, cpus // (workers * pool))
    return Sizing(workers, pool, threads, limits.cpu_limit, limits.memory_bytes)
