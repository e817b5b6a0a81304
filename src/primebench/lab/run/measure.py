"""One measured run against a running server, and what happens between runs.

A run is: the point's streams (one tool, or the convoy's two at once) pinned to the
generator's cores, the server's process tree sampled for CPU and peak RSS meanwhile,
the raw output kept, and every way it can fail turned into a reason. Between runs the
server must *settle*: a closed-loop run against a server that blocks leaves requests
queued after the tool stops (the article's Node server at n=20000 with 100 connections
has 100 of them), and measuring the next run on top of that backlog would be wrong.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from primebench.lab.contenders import launch
from primebench.lab.host import disturbance, loopback, resources, servers
from primebench.lab.host.disturbance import STALL_S, Disturbance
from primebench.lab.model.process_records import ProcessMemory
from primebench.lab.model.results import RunRecord
from primebench.lab.model.vocabulary import TrialKind
from primebench.lab.run import loadgen
from primebench.lab.run.loadgen import Generator, LoadRun, LoadSpec
from primebench.lab.run.remote import RemoteServer
from primebench.lab.scenarios.base import Point

__all__ = [
    "GENERATOR_BOUND",
    "Observed",
    "RunContext",
    "build_run_record",
    "generator_bound",
    "load_jobs",
    "measure_run",
    "settle",
]

#: A run whose generator used at least this share of the cores it could use measured the tool.
GENERATOR_BOUND = 0.9
#: ...or, on generator cores saturated by anything, a tool using at least this share of them.
SHARE_ON_BUSY_CORE = 0.3
IDLE_WINDOW_S = 0.25
IDLE_CPU_SHARE = 0.08  # of one core: a server below this is not working through a backlog


@dataclass(frozen=True)
class RunContext:
    """Where and how runs happen: tools' root, generator cores, raw-output folder, seed."""

    root: Path
    server_cpus: frozenset[int]
    generator_cpus: frozenset[int]
    raw_dir: Path
    raw_prefix: str  # folder of this contender's raw files, relative to the document's raw dir
    request_timeout_s: float = 10.0


def _parallelism(run: LoadRun, cores: int) -> int:
    """How many cores the tool could use: autocannon is one Node thread; wrk its threads."""
    if run.generator is Generator.AUTOCANNON:
        return 1
    if run.generator is Generator.WRK:
        return max(1, min(cores, run.spec.threads, run.spec.connections))
    return cores


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_") or "point"


def _write_raw(ctx: RunContext, base: str, run: LoadRun) -> list[str]:
    """Keep the tool's stdout, stderr and invocation verbatim; return paths relative to the raw dir."""
    folder = ctx.raw_dir / ctx.raw_prefix
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "argv": list(run.argv),
        "returncode": run.returncode,
        "wall_s": run.wall_s,
        "cpu_s": run.cpu_s,
        "failure": run.failure,
    }
    files = {
        f"{base}.stdout": run.stdout,
        f"{base}.stderr": run.stderr,
        f"{base}.json": json.dumps(meta, indent=2),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [f"{ctx.raw_prefix}/{name}" for name in files]


def _run_failure(run: LoadRun, duration_s: float) -> str:
    """Why the trial is no measurement, or "" when it is one.

    A tool that ran to its end and counted only timeouts measured the server: it took
    longer than the request timeout for every request, which is 0 req/s with its timeouts
    counted, not a failure (no latency is recorded: none completed). No 2xx answer with
    connection errors or only non-2xx answers, or with nothing counted at all, tells
    nothing about the server's speed, and fails the trial.
    """
    if run.failure:
        return run.failure
    result = run.result
    assert result is not None
    only_timeouts = result.timeouts > 0 and result.errors == 0 and result.non_2xx == 0
    if result.requests - result.non_2xx <= 0 and not only_timeouts:
        return (
            f"no 2xx answer in {duration_s:g} s ({result.timeouts} timeouts, "
            f"{result.errors} connection errors, {result.non_2xx} non-2xx)"
        )
    return ""


Server = servers.RunningServer | RemoteServer


def load_jobs(
    point: Point, port: int, ctx: RunContext, duration_s: float, index: int
) -> list[tuple[Generator, LoadSpec]]:
    """The tools to run for one trial of `point`, one per stream (pure)."""
    return [
        (
            stream.generator,
            LoadSpec(
                port=port,
                path=stream.path,
                connections=stream.connections,
                duration_s=duration_s,
                threads=len(ctx.generator_cpus),
                rate=stream.rate,
                random_n=stream.random_n,
                request_timeout_s=ctx.request_timeout_s,
                seed=20000 + index,
                path_regex=stream.path_regex,
            ),
        )
        for stream in point.streams
    ]


@dataclass(frozen=True)
class Observed:
    """What one trial's process side saw; `build_run_record` turns it into a record."""

    runs: list[LoadRun]
    server_cpu_s: float | None  # None: not our process (a target)
    server_peak_rss_bytes: int | None
    wall_s: float
    server_busy_s: float
    generator_busy_s: float
    server_alive: bool
    server_returncode: int | None
    server_processes: int | None
    disturbance: Disturbance | None
    processes: tuple[ProcessMemory, ...] | None = None  # each process at the end (the soak)


def measure_run(
    running: Server,
    point: Point,
    ctx: RunContext,
    *,
    kind: TrialKind,
    index: int,
    duration_s: float,
    attempt: int = 0,
) -> RunRecord:
    """Run `point`'s streams once for `duration_s` and record everything; never raises for a failure.

    `attempt` > 0 is another trial of the same round (a `--strict` repeat, or a mirrored
    round's second leg): its raw files get their own names.
    """
    jobs = load_jobs(point, running.port, ctx, duration_s, index)
    observed = _observe(running, jobs, ctx, apart=point.processes_apart)
    raw: list[str] = []
    again = f"-attempt{attempt}" if attempt else ""
    for stream, run in zip(point.streams, observed.runs, strict=True):
        raw += _write_raw(
            ctx, f"{_safe(point.key)}-{kind}{index}{again}-{stream.role}-{run.generator}", run
        )
    return build_run_record(observed, ctx, kind=kind, index=index, duration_s=duration_s, raw=raw)


def _observe(
    running: Server, jobs: list[tuple[Generator, LoadSpec]], ctx: RunContext, *, apart: bool
) -> Observed:
    """Run the tools, sampling the server's tree and every core they touch meanwhile;
    `apart`: also each process's memory at the end, before the server settles."""
    local = isinstance(running, servers.RunningServer)
    cores_before = psutil.cpu_times(percpu=True)
    stat_before = disturbance.sample()
    started = time.monotonic()
    meter = running.resource_sampler() if isinstance(running, servers.RunningServer) else None
    with meter if meter is not None else contextlib.nullcontext():
        runs = loadgen.run_together(jobs, root=ctx.root, cpus=ctx.generator_cpus)
    wall = time.monotonic() - started
    processes = None
    if apart and isinstance(running, servers.RunningServer):  # a target's tree is not ours
        processes = resources.process_memory(running.pid)
    stat_after = disturbance.sample()
    cores_after = psutil.cpu_times(percpu=True)
    usage = meter.usage if meter is not None else None
    server_cpu = usage.cpu_s if usage is not None else None
    watched = (ctx.server_cpus if local else frozenset()) | ctx.generator_cpus
    own = (server_cpu or 0.0) + sum(r.cpu_s for r in runs)
    alive = running.alive()
    return Observed(
        runs=runs,
        server_cpu_s=server_cpu,
        server_peak_rss_bytes=usage.peak_rss_bytes if usage is not None else None,
        wall_s=usage.wall_s if usage is not None else wall,
        server_busy_s=_busy_s(cores_before, cores_after, ctx.server_cpus),
        generator_busy_s=_busy_s(cores_before, cores_after, ctx.generator_cpus),
        server_alive=alive,
        server_returncode=running.returncode(),
        server_processes=len(running.tree()) if alive and local else None,
        disturbance=disturbance.between(stat_before, stat_after, sorted(watched), own),
        processes=processes,
    )


def build_run_record(
    seen: Observed,
    ctx: RunContext,
    *,
    kind: TrialKind,
    index: int,
    duration_s: float,
    raw: list[str],
) -> RunRecord:
    """The trial's record from what was observed (pure: every judgement of a trial is here)."""
    main, background = seen.runs[0], (seen.runs[1] if len(seen.runs) > 1 else None)
    reason = _run_failure(main, duration_s)
    if not seen.server_alive:
        reason = f"server exited with code {seen.server_returncode} during the run"
    if background is not None and background.failure:
        # Without its heavy stream a "loaded" run is not loaded. A heavy stream that merely
        # got no answer in time still loaded the server, so that alone is not a failure.
        reason = reason or f"heavy stream: {background.failure}"
    cores = len(ctx.generator_cpus)
    gen_cpu = sum(r.cpu_s for r in seen.runs)
    gen_wall = max((r.wall_s for r in seen.runs), default=0.0)
    usable = max(_parallelism(r, cores) for r in seen.runs)
    wall = seen.wall_s
    gen_share = seen.generator_busy_s / (wall * cores) if wall > 0 and cores else None
    overlap = ctx.generator_cpus & ctx.server_cpus
    foreign = None
    if wall > 0 and ctx.server_cpus and not overlap and seen.server_cpu_s is not None:
        foreign = max(seen.server_busy_s - seen.server_cpu_s, 0.0) / (wall * len(ctx.server_cpus))
    answered = sum(r.result.requests for r in seen.runs if r.result is not None)
    server_cpu = seen.server_cpu_s
    return RunRecord(
        kind=kind,
        index=index,
        status="failed" if reason else "ok",
        reason=reason,
        load=main.result,
        background=None if background is None else background.result,
        server_cpu_s=server_cpu,
        server_peak_rss_bytes=seen.server_peak_rss_bytes,
        cpu_s_per_request=server_cpu / answered if answered and server_cpu is not None else None,
        generator_cpu_s=gen_cpu,
        generator_wall_s=gen_wall,
        generator_cores=usable,
        generator_bound=generator_bound(gen_cpu, gen_wall, usable, gen_share),
        settle_s=None,
        raw=tuple(raw),
        generator_cores_busy=gen_share,
        server_cores_foreign=foreign,
        server_processes=seen.server_processes,
        disturbance=seen.disturbance,
        disturbed=seen.disturbance is not None
        and seen.disturbance.disturbed(stall_s=STALL_S if main.spec.rate is not None else None),
        generator_share=gen_cpu / gen_wall if gen_wall > 0 else None,
        cpus_overlap=tuple(sorted(overlap)),
        processes=seen.processes,
    )


def _busy_s(before: list[Any], after: list[Any], cpus: frozenset[int]) -> float:
    """CPU seconds the kernel counted as busy (not idle, not waiting for I/O) on `cpus`."""
    total = 0.0
    for cpu in cpus:
        if cpu >= len(before) or cpu >= len(after):
            continue
        a, b = before[cpu], after[cpu]
        spent = sum(b) - sum(a)
        idle = (b.idle - a.idle) + (getattr(b, "iowait", 0.0) - getattr(a, "iowait", 0.0))
        total += max(spent - idle, 0.0)
    return total


def generator_bound(
    tool_cpu_s: float, tool_wall_s: float, usable_cores: int, cores_busy: float | None
) -> bool:
    """Did the load generator, rather than the server, set the pace of this run?

    Yes when the tool used at least GENERATOR_BOUND of the cores it can use (its own
    CPU time from rusage). Also when its cores were that busy with anything and the
    tool itself was a large consumer there (SHARE_ON_BUSY_CORE): it then wanted more CPU
    than it got. A tool sending 30 req/s uses almost nothing and is not limited by a
    busy neighbour, so a busy core alone does not flag it.
    """
    share = tool_cpu_s / tool_wall_s / usable_cores if tool_wall_s > 0 and usable_cores else 0.0
    by_tool = share >= GENERATOR_BOUND
    by_core = (
        cores_busy is not None and cores_busy >= GENERATOR_BOUND and share >= SHARE_ON_BUSY_CORE
    )
    return by_tool or by_core


def _tree_cpu(running: Server) -> float:
    total = 0.0
    for proc in running.tree():
        with contextlib.suppress(psutil.Error):  # a worker may exit between listing and reading
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def settle(running: Server, deadline_s: float) -> float | None:
    """Wait until the server is idle and answers n=1; seconds waited, None past `deadline_s`.

    Idle means its whole process tree used under IDLE_CPU_SHARE of a core over a short
    window: a server still computing a backlog is not idle, whatever its event loop says.
    """
    started = time.monotonic()
    end = started + deadline_s
    while time.monotonic() < end:
        if not running.alive():
            return None
        before = _tree_cpu(running)
        time.sleep(IDLE_WINDOW_S)
        if _tree_cpu(running) - before > IDLE_CPU_SHARE * IDLE_WINDOW_S:
            continue
        try:
            answer = loopback.get(
                running.host,
                running.port,
                launch.READY_PATH,
                timeout_s=max(0.5, min(5.0, end - time.monotonic())),
            )
        except loopback.RequestFailed:
            continue
        if launch.ready_check(answer.status, answer.body):
            return time.monotonic() - started
    return None
