"""The process side of one arm: start, verify, prime, re-pin, measure a trial, settle.

The round loop (`rounds`) decides what to measure when; these are the steps it calls
through `rounds.Ops`, for a server the lab starts (`ArmServer`) or a running target.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

from primebench.lab.contenders import conformance, launch
from primebench.lab.host import loopback, resources, servers
from primebench.lab.model.contender_records import Conformance
from primebench.lab.model.results import RunRecord
from primebench.lab.model.vocabulary import TrialKind
from primebench.lab.run import loadgen, rounds
from primebench.lab.run.measure import RunContext, Server, measure_run, settle
from primebench.lab.run.trials import Arm, ArmState, stats_line
from primebench.lab.scenarios.base import Point, ScenarioSettings

if TYPE_CHECKING:
    from primebench.lab.run.session import BenchSettings

__all__ = ["ArmServer", "close_all", "ops", "point_pinning"]

PRIMER_REQUESTS = 3
PRIMER_TIMEOUT_S = 120.0


class ArmServer:
    """An arm's server for one scenario: started, restartable, re-pinnable; or a target."""

    def __init__(self, arm: Arm, settings: BenchSettings, folder: str) -> None:
        self._arm = arm
        self._settings = settings
        self._folder = folder
        self._stack = contextlib.ExitStack()
        self.restarts = 0
        self.cpus: frozenset[int] | None = None
        self.running: Server | None = None

    def start(self, cpus: frozenset[int]) -> Server:
        """Start (or re-pin) the server on `cpus`; raises `servers.ServerFailed`."""
        if self._arm.remote is not None:
            self.running = self._arm.remote
            return self.running
        if self.running is not None:
            self._stack.close()
            self._stack = contextlib.ExitStack()
            self.restarts += 1
        self.cpus = cpus
        name = "server.log" if self.restarts == 0 else f"server-{self.restarts}.log"
        self.running = self._stack.enter_context(
            launch.start(
                self._arm.contender,
                cpus=cpus,
                host=loadgen.LOOPBACK,
                deadline_s=self._settings.start_deadline_s,
                log=self._settings.raw_dir / self._folder / name,
            )
        )
        return self.running

    def restart(self, *, stuck: bool = False) -> Server:
        """A new server on the same cores. `stuck`: the old one is busy with work the lab
        gave up on (the huge-n probe, a backlog past the settle deadline), so it is killed
        rather than asked to stop: its graceful stop would wait for that work until the
        grace period ran out (5 s per fastapi arm after verification)."""
        assert self.cpus is not None or self._arm.remote is not None
        if stuck and isinstance(self.running, servers.RunningServer):
            self.running.kill()
        return self.start(self.cpus or frozenset())

    def close(self) -> None:
        self._stack.close()


def close_all(arms: Sequence[ArmServer]) -> None:
    """Stop every arm's server at once, each in its own thread; raises the first failure.

    One after the other, a scenario of 13 contenders spent about 4 s stopping them: the
    servers that drain (granian, pebble's pool) take about a second each. Each stop is
    still `processes.terminate_group` on its own group, so what reaches a server is the same.
    """
    if not arms:
        return
    with ThreadPoolExecutor(max_workers=len(arms), thread_name_prefix="stop") as pool:
        futures = [pool.submit(arm.close) for arm in arms]
    for future in futures:
        future.result()


#: Each arm's conformance check, by arm name: made in its first scenario, kept for the rest.
Verified = dict[str, Conformance]


def ops(settings: BenchSettings, verified: Verified | None = None) -> rounds.Ops:
    """The steps for one scenario; `verified` carries the checks over the bench's scenarios."""
    checks: Verified = {} if verified is None else verified
    return rounds.Ops(
        ready=lambda s, sc, first: _ready(s, sc, first, settings, checks),
        measure=lambda s, p, kind, i, d, attempt: _trial(s, p, kind, i, d, settings, attempt),
        settle=lambda s, run, p: _settle_or_restart(s, run, p, settings),
        repin=lambda s, p: _repin(s, p, settings),
        restart=lambda s, p: _fresh(s, p),
    )


def _context(state: ArmState, pinning: resources.Pinning, settings: BenchSettings) -> RunContext:
    return RunContext(
        root=settings.tools_root,
        server_cpus=frozenset() if state.arm.remote else pinning.server,
        generator_cpus=pinning.generator,
        raw_dir=settings.raw_dir,
        raw_prefix=state.folder,
        request_timeout_s=settings.request_timeout_s,
    )


def _ready(
    state: ArmState,
    scenario: ScenarioSettings,
    first: Point | None,
    settings: BenchSettings,
    verified: Verified,
) -> str:
    """Start, verify and prime one arm; plan its points. '' when ready, else why not.

    An arm is verified once per bench, in its first scenario: its code does not change
    between scenarios, and each later start is still checked by a correct first answer
    (`servers.WrongAnswer`). Verifying again cost every later scenario about 40 s on
    13 contenders (the huge-n probe's timeouts, then a restart of each server it left
    busy), for the same answers.
    """
    say = settings.progress
    info = state.info
    if not info.available or not info.build.ok:
        state.fail("unavailable" if not info.available else "failed", info.reason)
        return info.reason
    pinning = point_pinning(first) or settings.pinning
    state.pinning = pinning
    try:
        running = state.server.start(pinning.server)
        state.startup_s = running.startup_s
        checked = verified.get(state.arm.name)
        fresh = checked is None
        if checked is None:
            checked = conformance.verify(state.arm.contender, running)  # type: ignore[arg-type]
            verified[state.arm.name] = checked
        state.conformance = checked
        if not checked.ok:
            reason = "verification failed: " + "; ".join(checked.problems)
            state.fail("failed", reason)
            return reason
        if fresh and _left_busy(state, not conformance.left_stuck(checked)):
            say(f"[{scenario.name}] {state.arm.name}: restarting (verification left it busy)")
            state.server.restart(stuck=True)
        say(f"[{scenario.name}] {state.arm.name}: ready{stats_line(state)}")
        return _plan(state, scenario, settings)
    except servers.ServerFailed as exc:
        state.server_log = exc.stderr_tail
        wrong = isinstance(exc, servers.WrongAnswer)
        state.fail("failed", exc.reason if wrong else f"did not start: {exc.reason}")
        return state.reason


#: How long a server may take to go idle after verification before it is restarted.
IDLE_AFTER_VERIFY_S = 3.0


def _left_busy(state: ArmState, healthy: bool) -> bool:
    """Did verification leave work behind (the huge-n probe still computing)?

    `healthy` is False also when a bad input went unanswered: a server with several
    workers still answers n=1 while one of them is stuck on the huge n.

    Every arm's server stays up for the whole scenario on the same cores, so a goroutine
    or thread still computing a huge n (go-seed answers others meanwhile, so it looks
    healthy) would slow every other arm's trials: a local server not idle within a few
    seconds is restarted. A target is not ours to restart.
    """
    if state.arm.remote is not None:
        return False
    return not healthy or settle(state.running, IDLE_AFTER_VERIFY_S) is None


def point_pinning(point: Point | None) -> resources.Pinning | None:
    """The cores of a point that has its own server core count (cores scenario), else None."""
    if point is None or point.server_cores is None:
        return None
    return resources.cores_pinning(point.server_cores, frozenset(os.sched_getaffinity(0)))


def _plan(state: ArmState, chosen: ScenarioSettings, settings: BenchSettings) -> str:
    """The arm's points (after the scenario's pre-step, a capacity probe), then a primer."""
    capacity = None
    probe_point = chosen.scenario.capacity_probe(chosen, state.arm.contender.name)
    if probe_point is not None:
        length = probe_point.duration_s or chosen.duration_s
        probe = _trial(state, probe_point, "probe", 0, length, settings)
        state.probe = probe
        if probe.status != "ok" or probe.load is None:
            state.fail("failed", f"capacity probe: {probe.reason}")
            return state.reason
        if probe.load.req_per_s <= 0:  # every request timed out: no rate to take fractions of
            state.fail("failed", f"capacity probe: 0 req/s ({probe.load.timeouts} timeouts)")
            return state.reason
        capacity = probe.load.req_per_s
        _settle_or_restart(state, probe, probe_point, settings)
    state.points = chosen.scenario.plan(chosen, state.arm.contender.name, capacity)
    return _primed(state, state.points[0])


def _primed(state: ArmState, point: Point) -> str:
    problem = _primer(state.running, point)
    if problem:
        state.fail("failed", problem)
    return problem


def _repin(state: ArmState, point: Point, settings: BenchSettings) -> str:
    """Restart a local arm's server on a point's own cores (cores scenario); '' or why not."""
    pinning = point_pinning(point)
    if pinning is None:
        return ""
    state.pinning = pinning
    if state.arm.remote is not None or state.server.cpus == pinning.server:
        return ""
    try:
        state.server.start(pinning.server)
    except servers.ServerFailed as exc:
        state.fail("failed", f"did not start on cores {sorted(pinning.server)}: {exc.reason}")
        return state.reason
    settings.progress(f"  {state.arm.name}: restarted on cores {sorted(pinning.server)}")
    return _primed(state, point)


def _fresh(state: ArmState, point: Point) -> str:
    """`--fresh-servers`: a new server process (and primer) before the trial; '' or why not."""
    if state.arm.remote is not None:
        return ""
    try:
        state.server.restart()
    except servers.ServerFailed as exc:
        state.fail("failed", f"restart before a trial failed: {exc.reason}")
        return state.reason
    return _primed(state, point)


def _trial(
    state: ArmState,
    point: Point,
    kind: TrialKind,
    index: int,
    duration_s: float,
    settings: BenchSettings,
    attempt: int = 0,
) -> RunRecord:
    pinning = state.pinning or settings.pinning
    with _lab_on(pinning.generator):
        return measure_run(
            state.running,
            point,
            _context(state, pinning, settings),
            kind=kind,
            index=index,
            duration_s=duration_s,
            attempt=attempt,
        )


@contextlib.contextmanager
def _lab_on(cpus: frozenset[int]) -> Iterator[None]:
    """Move the lab's own thread (and the threads it starts) to the generator's cores."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _primer(running: Server, point: Point) -> str:
    """A few single requests on the point's path: '' when they all answer 2xx."""
    path = point.streams[0].path
    for _ in range(PRIMER_REQUESTS):
        try:
            answer = loopback.get(running.host, running.port, path, timeout_s=PRIMER_TIMEOUT_S)
        except loopback.RequestFailed as exc:
            return f"primer {path}: {exc.reason}"
        if not 200 <= answer.status < 300:
            return f"primer {path}: status {answer.status}"
    return ""


def _settle_or_restart(
    state: ArmState, run: RunRecord, point: Point, settings: BenchSettings
) -> tuple[RunRecord, str]:
    """Wait for the server to work off the run's backlog, else restart it; '' or why to stop."""
    running = state.running
    if not running.alive():
        return run, ""
    waited = settle(running, settings.settle_timeout_s)
    if waited is not None:
        return replace(run, settle_s=waited), ""
    if state.arm.remote is not None:
        return run, f"target still busy {settings.settle_timeout_s:g} s after the run"
    settings.progress(
        f"  still busy {settings.settle_timeout_s:g} s after the run: restarting the server"
    )
    try:
        state.server.restart(stuck=True)
    except servers.ServerFailed as exc:
        return replace(
            run, restarted_after=True
        ), f"restart after {point.label} failed: {exc.reason}"
    if problem := _primer(state.running, point):
        return replace(run, restarted_after=True), f"after a restart: {problem}"
    return replace(run, restarted_after=True), ""
