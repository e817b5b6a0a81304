"""The bench protocol, per contender and scenario, and the document it produces.

Per contender (TechEmpower's order): availability -> build -> start (readiness probed
with a deadline; start-up time to the first correct answer) -> verify -> primer ->
warm-up -> measured runs (median and spread) with the server's CPU and peak RSS
sampled -> graceful stop. A contender that cannot build, start or verify, or that dies
mid-run, is recorded as failed with its reason and the bench goes on with the next.
Server and generator run on disjoint cores (`procs.cpu_split`); the lab itself moves to
the generator's cores while measuring, so its sampling never steals the server's core.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from primebench.lab import contenders, http, loadgen, machine, procs, results, verify
from primebench.lab.contenders import Contender, Registry
from primebench.lab.loadgen import Generator
from primebench.lab.measure import RunContext, measure_run, settle, summarize_point
from primebench.lab.results import (
    ContenderInfo,
    ContenderRun,
    Document,
    PointRecord,
    RunRecord,
    ScenarioRecord,
)
from primebench.lab.scenarios import Point, ScenarioName, ScenarioSettings, Stream, plan

__all__ = ["BenchSettings", "run_bench"]

PRIMER_REQUESTS = 3
PRIMER_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class BenchSettings:
    """Everything one bench needs, checked at the CLI edge and passed explicitly."""

    registry: Registry
    tools_root: Path
    contenders: tuple[str, ...]
    scenarios: tuple[ScenarioSettings, ...]
    pinning: procs.Pinning
    out_json: Path
    command: tuple[str, ...] = ()
    start_deadline_s: float = 60.0
    settle_timeout_s: float = 30.0
    request_timeout_s: float = 10.0
    progress: Callable[[str], None] = field(
        default=lambda line: print(line, file=sys.stderr, flush=True)
    )

    @property
    def raw_dir(self) -> Path:
        """The tools' raw output, server logs and build logs: a folder beside the JSON, same stem."""
        return self.out_json.with_suffix("")


def run_bench(settings: BenchSettings) -> Document:
    """Run every scenario over every selected contender and save the document to `out_json`.

    The document is saved also when the bench is interrupted (with the scenarios that
    finished, and a note), so an hour of measurement is never lost to one Ctrl-C.
    """
    say = settings.progress
    selected = settings.registry.select(list(settings.contenders))
    tools = {str(g): loadgen.tool_version(g, settings.tools_root) for g in Generator}
    for name, version in tools.items():
        say(f"[bench] {name}: {version}")
    infos = {c.name: _prepare(c, settings) for c in selected}
    scenarios: list[ScenarioRecord] = []
    notes: list[str] = []
    if settings.pinning.shared:
        notes.append("server and generator shared the only core: figures measure both together")
    runs: list[ContenderRun] = []
    try:
        for scenario in settings.scenarios:
            runs = []
            for c in selected:
                say(f"[{scenario.name}] {c.name}: starting")
                runs.append(_contender_run(c, infos[c.name], scenario, settings))
            scenarios.append(ScenarioRecord(str(scenario.name), scenario.to_json(), tuple(runs)))
            runs = []
    except KeyboardInterrupt:
        notes.append("interrupted: the document holds only what finished before Ctrl-C")
        if runs:
            scenarios.append(ScenarioRecord(str(scenario.name), scenario.to_json(), tuple(runs)))
        raise
    finally:
        document = Document(
            created_utc=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            command=settings.command,
            machine=machine.describe(),
            tools=tools,
            pinning=settings.pinning.to_json(),
            contenders=tuple(infos[c.name] for c in selected),
            scenarios=tuple(scenarios),
            raw_dir=settings.raw_dir.name,
            notes=tuple(notes),
        )
        results.save(document, settings.out_json)
    return document


def _prepare(c: Contender, settings: BenchSettings) -> ContenderInfo:
    """Availability, build, version and artifact size: once per contender and bench."""
    say = settings.progress
    available = contenders.availability(c)
    build = {"ok": False, "seconds": 0.0, "reason": "not built: unavailable"}
    version, artifact, reason = "", None, available.reason
    if available.available:
        say(f"[build] {c.name}")
        outcome = contenders.build(c, log=settings.raw_dir / "build" / f"{c.name}.log")
        build = {"ok": outcome.ok, "seconds": outcome.seconds, "reason": outcome.reason}
        if outcome.ok:
            version = contenders.version(c)
            artifact = contenders.artifact_size(c).to_json()
        else:
            reason = f"build failed: {outcome.reason}"
            say(
                f"[build] {c.name}: FAILED {outcome.reason.splitlines()[0] if outcome.reason else ''}"
            )
    else:
        say(f"[build] {c.name}: unavailable: {available.reason}")
    return ContenderInfo(
        name=c.name,
        language=c.language,
        description=c.description,
        differs_from_article=c.differs_from_article,
        available=available.available,
        reason=reason,
        version=version,
        build=build,
        artifact=artifact,
    )


@contextlib.contextmanager
def _started(c: Contender, settings: BenchSettings, log: Path) -> Iterator[procs.RunningServer]:
    with verify.start(
        c,
        cpus=settings.pinning.server,
        host=loadgen.LOOPBACK,
        deadline_s=settings.start_deadline_s,
        log=log,
    ) as running:
        yield running


class _Server:
    """The contender's server for one scenario, restartable between runs.

    A blocking server handed 100 connections of slow requests keeps computing the ones
    a finished run abandoned (python-seed: minutes). Waiting that out measures nothing,
    so past the settle deadline the server is restarted, primed, and the restart is
    recorded on the run that caused it. Code must read `running` afresh after a restart.
    """

    def __init__(self, c: Contender, settings: BenchSettings, folder: str) -> None:
        self._c = c
        self._settings = settings
        self._folder = folder
        self._stack = contextlib.ExitStack()
        self.restarts = 0
        self.running = self._start()

    def _start(self) -> procs.RunningServer:
        name = "server.log" if self.restarts == 0 else f"server-{self.restarts}.log"
        log = self._settings.raw_dir / self._folder / name
        return self._stack.enter_context(_started(self._c, self._settings, log))

    def restart(self) -> procs.RunningServer:
        """Stop the current process tree and start a fresh one (raises `ServerFailed`)."""
        self._stack.close()
        self._stack = contextlib.ExitStack()
        self.restarts += 1
        self.running = self._start()
        return self.running

    def close(self) -> None:
        self._stack.close()


@contextlib.contextmanager
def _server(c: Contender, settings: BenchSettings, folder: str) -> Iterator[_Server]:
    server = _Server(c, settings, folder)
    try:
        yield server
    finally:
        server.close()


@contextlib.contextmanager
def _lab_on_generator_cores(cpus: frozenset[int]) -> Iterator[None]:
    """Move the lab's own thread (and the threads it starts) off the server's cores."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _contender_run(
    c: Contender, info: ContenderInfo, scenario: ScenarioSettings, settings: BenchSettings
) -> ContenderRun:
    """One contender through one scenario; every failure becomes a recorded status."""
    if not info.available or not info.build.get("ok"):
        status = "unavailable" if not info.available else "failed"
        return ContenderRun(c.name, status, info.reason, None, None, ())
    folder = f"{scenario.name}/{c.name}"
    try:
        with _server(c, settings, folder) as server:
            startup = server.running.startup_s
            conformance = verify.verify(c, server.running)
            if not conformance.ok:
                reason = "verification failed: " + "; ".join(conformance.problems)
                settings.progress(f"[{scenario.name}] {c.name}: {reason}")
                return ContenderRun(c.name, "failed", reason, startup, conformance.to_json(), ())
            unanswered = any(b.status is None for b in conformance.bad_inputs)
            if not conformance.healthy_after or unanswered:
                # verify's huge-n probe left it busy (by design for the seed servers); a
                # server with several workers still answers n=1 with one of them stuck.
                settings.progress(
                    f"[{scenario.name}] {c.name}: restarting (the huge-n probe left it busy)"
                )
                server.restart()
            return _measure(c, scenario, settings, server, startup, conformance.to_json(), folder)
    except procs.ServerFailed as exc:
        settings.progress(f"[{scenario.name}] {c.name}: did not start: {exc.reason}")
        return ContenderRun(
            c.name,
            "failed",
            f"did not start: {exc.reason}",
            None,
            None,
            (),
            server_log=exc.stderr_tail,
        )


def _primer(running: procs.RunningServer, point: Point) -> str:
    """A few single requests on the first point's path: '' when they all answer 2xx."""
    path = point.streams[0].path
    for _ in range(PRIMER_REQUESTS):
        try:
            answer = http.get(running.host, running.port, path, timeout_s=PRIMER_TIMEOUT_S)
        except http.ProbeFailed as exc:
            return f"primer {path}: {exc.reason}"
        if not 200 <= answer.status < 300:
            return f"primer {path}: status {answer.status}"
    return ""


def _measure(
    c: Contender,
    scenario: ScenarioSettings,
    settings: BenchSettings,
    server: _Server,
    startup: float,
    conformance: dict[str, object],
    folder: str,
) -> ContenderRun:
    say = settings.progress
    ctx = RunContext(
        root=settings.tools_root,
        server_cpus=settings.pinning.server,
        generator_cpus=settings.pinning.generator,
        raw_dir=settings.raw_dir,
        raw_prefix=folder,
        request_timeout_s=settings.request_timeout_s,
    )
    tag = f"[{scenario.name}] {c.name}"
    say(f"{tag}: up in {startup:.2f} s, verified")

    def failed(
        reason: str, points: tuple[PointRecord, ...] = (), probe: RunRecord | None = None
    ) -> ContenderRun:
        say(f"{tag}: FAILED {reason}")
        return ContenderRun(
            c.name,
            "failed",
            reason,
            startup,
            conformance,
            points,
            probe,
            server.running.stderr_tail(),
        )

    with _lab_on_generator_cores(settings.pinning.generator):
        probe = None
        capacity = None
        if scenario.name is ScenarioName.RATE and scenario.rates is None:
            say(f"{tag}: capacity probe ({scenario.duration_s:g} s closed loop)")
            probe_point = Point(
                "capacity",
                "closed-loop capacity",
                {"n": scenario.n},
                (Stream("main", Generator.WRK, f"/prime?n={scenario.n}", scenario.connections),),
            )
            probe = measure_run(
                server.running,
                probe_point,
                ctx,
                kind="probe",
                index=0,
                duration_s=scenario.duration_s,
            )
            if probe.status != "ok" or probe.load is None:
                return failed(f"capacity probe: {probe.reason}", probe=probe)
            capacity = probe.load.req_per_s
            if settle(server.running, settings.settle_timeout_s) is None:
                server.restart()
        points = plan(scenario, c.name, capacity)
        if problem := _primer(server.running, points[0]):
            return failed(problem, probe=probe)
        records: list[PointRecord] = []
        skip = ""
        for point in points:
            if skip:
                records.append(summarize_point(point, [], None, skipped=skip))
                continue
            record, skip = _measure_point(server, point, scenario, settings, ctx, tag)
            records.append(record)
            if not server.running.alive():
                code = server.running.returncode()
                reason = f"server exited with code {code} during {point.label}"
                rest = [
                    summarize_point(p, [], None, skipped=reason) for p in points[len(records) :]
                ]
                return failed(reason, tuple(records + rest), probe)
    return ContenderRun(
        c.name,
        "ok",
        "",
        startup,
        conformance,
        tuple(records),
        probe,
        server.running.stderr_tail(),
    )


def _measure_point(
    server: _Server,
    point: Point,
    scenario: ScenarioSettings,
    settings: BenchSettings,
    ctx: RunContext,
    tag: str,
) -> tuple[PointRecord, str]:
    """Warm-up then measured runs of one point; returns its record and why to skip the rest ('' = go on)."""
    say = settings.progress
    warmup = None
    if scenario.warmup_s > 0:
        say(f"{tag}: {point.label}: warm-up {scenario.warmup_s:g} s")
        warmup = measure_run(
            server.running, point, ctx, kind="warmup", index=0, duration_s=scenario.warmup_s
        )
        warmup, problem = _settle_or_restart(server, warmup, settings, point)
        if problem:
            return summarize_point(point, [], warmup), problem
    runs: list[RunRecord] = []
    for index in range(scenario.runs):
        if not server.running.alive():
            break
        run = measure_run(
            server.running, point, ctx, kind="measured", index=index, duration_s=scenario.duration_s
        )
        run, problem = _settle_or_restart(server, run, settings, point)
        runs.append(run)
        say(f"{tag}: {point.label}: run {index + 1}/{scenario.runs}: {_describe(run)}")
        if problem:
            return summarize_point(point, runs, warmup), problem
    record = summarize_point(point, runs, warmup)
    rps = record.summary.get("req_per_s")
    if rps is not None and rps.high_spread:
        say(f"{tag}: {point.label}: warning: runs differ by {rps.spread * 100:.0f}% (MAD/median)")
    skip = ""
    if scenario.name is ScenarioName.SWEEP:
        # Points run in ascending n: once a contender cannot answer each connection once
        # per run, every larger n only piles up a backlog that outlives the run.
        answered = min((r.load.requests for r in runs if r.load is not None), default=0)
        if record.status != "ok" or answered < scenario.connections:
            skip = (
                f"n={point.params.get('n')} already got fewer answers than connections in "
                f"{scenario.duration_s:g} s; a larger n would only queue"
            )
    return record, skip


def _settle_or_restart(
    server: _Server, run: RunRecord, settings: BenchSettings, point: Point
) -> tuple[RunRecord, str]:
    """Wait for the server to work off the run's backlog, else restart it; '' or why to stop."""
    if not server.running.alive():
        return run, ""
    waited = settle(server.running, settings.settle_timeout_s)
    if waited is not None:
        return replace(run, settle_s=waited), ""
    settings.progress(
        f"  still busy {settings.settle_timeout_s:g} s after the run: restarting the server"
    )
    try:
        server.restart()
    except procs.ServerFailed as exc:
        return replace(
            run, restarted_after=True
        ), f"restart after {point.label} failed: {exc.reason}"
    if problem := _primer(server.running, point):
        return replace(run, restarted_after=True), f"after a restart: {problem}"
    return replace(run, restarted_after=True), ""


def _describe(run: RunRecord) -> str:
    if run.status != "ok" or run.load is None:
        return f"FAILED {run.reason}"
    lat = run.load.latency_ms
    p99 = f", p99 {lat.p99:.1f} ms" if lat else ""
    bound = " [generator-bound]" if run.generator_bound else ""
    if run.noisy and run.server_cores_foreign is not None:
        bound += (
            f" [noisy: {run.server_cores_foreign * 100:.0f}% of the server's cores used by others]"
        )
    return f"{run.load.req_per_s:,.1f} req/s{p99}{bound}"
