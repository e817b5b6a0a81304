"""Load generators: real tools, run through `tool_runs.run_tool`, read through their machine output.

One module per tool (`autocannon`, `wrk`, `oha`), each with the same four functions
(`locate`, `argv`, `parse`, `parse_version`); this package picks the module, runs the
tool pinned to the generator's cores, keeps its raw output, and turns every way a run
can go wrong into a `LoadRun` with a `failure` reason instead of a number.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from primebench.lab.host import tool_runs
from primebench.lab.model.generators import Generator
from primebench.lab.model.load_records import (
    LOOPBACK,
    Latency,
    LoadParseError,
    LoadResult,
    LoadSpec,
)
from primebench.lab.run.loadgen import autocannon, oha, wrk

__all__ = [
    "LOOPBACK",
    "Generator",
    "Latency",
    "LoadResult",
    "LoadRun",
    "LoadSpec",
    "locate",
    "run",
    "run_together",
    "tool_version",
]

VERSION_TIMEOUT_S = 30.0


_MODULES: dict[Generator, ModuleType] = {
    Generator.AUTOCANNON: autocannon,
    Generator.WRK: wrk,
    Generator.OHA: oha,
}


@dataclass(frozen=True)
class LoadRun:
    """One tool run: the parsed result, or why there is none, and everything it printed.

    `failure` is "" for a usable measurement. `cpu_s` is the tool's own CPU time (rusage),
    which together with `wall_s` tells whether the tool, not the server, was the limit.
    """

    generator: Generator
    spec: LoadSpec
    result: LoadResult | None
    failure: str
    argv: tuple[str, ...]
    returncode: int | None
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float


def locate(generator: Generator, root: Path) -> Path | None:
    """Where the tool is installed (None when it is not)."""
    found: Path | None = _MODULES[generator].locate(root)
    return found


def tool_version(generator: Generator, root: Path) -> str:
    """The tool's own version string, or `unavailable: <reason>`."""
    exe = locate(generator, root)
    if exe is None:
        return f"unavailable: {generator} not installed (run scripts/setup)"
    try:
        ran = tool_runs.run_tool([str(exe), "--version"], cpus=None, timeout_s=VERSION_TIMEOUT_S)
    except OSError as exc:
        return f"unavailable: {exc}"
    version: str = _MODULES[generator].parse_version(ran.stdout + ran.stderr)
    return version


def run(
    generator: Generator, spec: LoadSpec, *, root: Path, cpus: frozenset[int] | None
) -> LoadRun:
    """Run one bounded load; never raises for a tool or server failure (it is data)."""
    module = _MODULES[generator]
    exe = locate(generator, root)
    if exe is None:
        return _failed(generator, spec, f"{generator} is not installed (run scripts/setup)")
    argv: list[str] = module.argv(exe, spec)
    try:
        ran = tool_runs.run_tool(argv, cpus=cpus, timeout_s=spec.tool_timeout_s)
    except OSError as exc:
        return _failed(generator, spec, f"{generator} could not start: {exc}", tuple(argv))
    failure = ""
    result: LoadResult | None = None
    if ran.timed_out:
        failure = f"{generator} did not finish within {spec.tool_timeout_s:g} s and was killed"
    else:
        try:
            result = module.parse(ran.stdout, spec)
        except LoadParseError as exc:
            tail = (ran.stderr or ran.stdout).strip().splitlines()[-3:]
            failure = f"{generator} exited {ran.returncode}: {exc}" + (
                f" ({' | '.join(tail)})" if tail else ""
            )
    return LoadRun(
        generator,
        spec,
        result,
        failure,
        ran.argv,
        ran.returncode,
        ran.stdout,
        ran.stderr,
        ran.wall_s,
        ran.cpu_s,
    )


def run_together(
    jobs: Sequence[tuple[Generator, LoadSpec]], *, root: Path, cpus: frozenset[int] | None
) -> list[LoadRun]:
    """Run several loads at the same time (the convoy's light and heavy streams).

    The first job runs in the calling thread, so Ctrl-C reaches its tool at once; the
    others run in threads that are always joined, also on Ctrl-C: their tools are
    bounded by their own duration, so the lab never exits while one is still loading.
    """
    if not jobs:
        return []
    results: dict[int, LoadRun] = {}

    def work(index: int, generator: Generator, spec: LoadSpec) -> None:
        results[index] = run(generator, spec, root=root, cpus=cpus)

    threads = [
        threading.Thread(target=work, args=(i, g, s), name=f"load-{g}-{i}")
        for i, (g, s) in enumerate(jobs)
        if i > 0
    ]
    for thread in threads:
        thread.start()
    try:
        work(0, *jobs[0])
    finally:
        for thread in threads:
            thread.join()
    return [results[i] for i in range(len(jobs))]


def _failed(
    generator: Generator, spec: LoadSpec, reason: str, argv: tuple[str, ...] = ()
) -> LoadRun:
    return LoadRun(generator, spec, None, reason, argv, None, "", "", 0.0, 0.0)
