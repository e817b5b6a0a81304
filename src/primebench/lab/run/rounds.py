"""The round loop of one scenario: warm-up, interleaved randomized rounds, comparisons.

The loop only decides *what* to measure *when*; starting, measuring and settling servers
are `Ops` the bench passes in (process handling), and orders, pairing and comparisons
are the pure functions of `protocol`. Points are measured one after the other (a sweep
climbs in n and stops a contender that falls behind), and within a point every round
measures every arm once in its own random order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from primebench.lab.model import verdicts
from primebench.lab.model.bench_records import Stopping
from primebench.lab.model.results import (
    ContenderRun,
    PointComparison,
    PointRecord,
    RoundOrder,
    RunRecord,
    ScenarioRecord,
)
from primebench.lab.model.vocabulary import TrialKind
from primebench.lab.run import protocol, stopping
from primebench.lab.run.point_records import summarize_point
from primebench.lab.run.trials import ArmState
from primebench.lab.scenarios.base import Point, ScenarioSettings

__all__ = ["Ops", "ProtocolSettings", "compare_scenario", "run_scenario"]


@dataclass(frozen=True)
class ProtocolSettings:
    """The protocol's own knobs (`bench --seed/--baseline/--strict`)."""

    seed: int = 0
    baseline: str | None = None
    strict: bool = False
    max_repeats: int = 2
    fresh_servers: bool = False  # restart every local server before each trial (A/B of lifecycles)
    progress: Callable[[str], None] = print
    # The live bar (`live.Live`): seconds of load planned, then done with what comes next.
    plan: Callable[[float], None] = lambda seconds: None
    advance: Callable[[float, str], None] = lambda seconds, doing: None
    clock: Callable[[], float] = time.monotonic  # what `--budget` is counted on


@dataclass(frozen=True)
class Ops:
    """The process-side steps the loop calls: ready an arm, measure, settle, re-pin."""

    ready: Callable[[ArmState, ScenarioSettings, Point | None], str]
    measure: Callable[[ArmState, Point, TrialKind, int, float, int], RunRecord]  # ..., attempt
    settle: Callable[[ArmState, RunRecord, Point], tuple[RunRecord, str]]
    repin: Callable[[ArmState, Point], str]  # onto the point's own server cores
    restart: Callable[[ArmState, Point], str]


def run_scenario(
    settings: ScenarioSettings, states: Sequence[ArmState], ops: Ops, ps: ProtocolSettings
) -> ScenarioRecord:
    """Ready every arm, measure every point in rounds, then compare; never raises for a failure."""
    first = _first_point(settings)
    deadline = None if settings.budget_s is None else ps.clock() + settings.budget_s
    for state in states:
        ops.ready(state, settings, first)
    orders: list[RoundOrder] = []
    count = max((len(s.points) for s in states), default=0)
    for index in range(count):
        orders += _measure_point(index, settings, states, ops, ps, (deadline, count - index))
    results = tuple(_contender_run(s) for s in states)
    comparisons, noise, smallest = compare_scenario(settings, results, ps)
    return ScenarioRecord(
        settings.name,
        settings.to_json(),
        results,
        tuple(orders),
        comparisons,
        noise,
        smallest,
    )


def _first_point(settings: ScenarioSettings) -> Point | None:
    """The point every arm is started for (its cores); None when the plan waits for a
    pre-step (a capacity probe), which runs on the bench's cores."""
    if settings.scenario.capacity_probe(settings) is not None:
        return None
    return settings.scenario.plan(settings, "", None)[0]


def _measure_point(
    index: int,
    settings: ScenarioSettings,
    states: Sequence[ArmState],
    ops: Ops,
    ps: ProtocolSettings,
    budget: tuple[float | None, int] = (None, 1),
) -> list[RoundOrder]:
    """Warm-up and rounds of the point at `index` of every arm that is still going.

    `budget`: the scenario's deadline (`ps.clock`) and the points left, this one included;
    a point may spend an even share of the time left (a sweep's later points get theirs).
    """
    active = [s for s in states if s.ok and not s.skip and index < len(s.points)]
    for state in states:
        if state.points and index < len(state.points) and state not in active:
            reason = state.skip or state.reason or "not run"
            state.records.append(_summary(state, state.points[index], [], reason, warmed=False))
    for state in active:
        if state.points[index].server_cores is not None:
            ops.repin(state, state.points[index])
    active = [s for s in active if s.ok]
    if not active:
        return []
    key = _common_key([s.points[index] for s in active], index)
    count = (
        f"{settings.min_rounds}-{settings.rounds} rounds (auto)"
        if settings.auto_rounds
        else f"{settings.rounds} rounds"
    )
    ps.progress(f"[{settings.name}] {key}: {len(active)} arms x {count}")
    legs = 2 if settings.scenario.mirrored_rounds else 1  # trials per arm and round
    deadline, points_left = budget
    share_end = None if deadline is None else ps.clock() + (deadline - ps.clock()) / points_left
    budgeted = share_end is not None and settings.auto_rounds  # its rounds: `fit_bar`, below
    rounds_s = 0.0 if budgeted else settings.rounds * legs * settings.duration_s
    ps.plan(len(active) * (settings.warmup_s + rounds_s))
    for state in active:
        state.warmup = None
        if settings.warmup_s > 0 and settings.scenario.warms_up_points:
            _warm_up(state, state.points[index], settings, ops)
            ps.advance(settings.warmup_s, f"[{settings.name}] {key}: warm-up")
    rule = stopping.RoundsRule(
        settings.auto_rounds, settings.rounds, settings.min_rounds, settings.precision
    )
    names = [s.arm.name for s in active]
    trials: dict[str, list[RunRecord]] = {name: [] for name in names}
    by_name = {s.arm.name: s for s in active}
    references = _references(names, ps.baseline)
    running = set(names)
    stops: dict[str, Stopping] = {}
    done: list[RoundOrder] = []
    spent: dict[str, list[float]] = {name: [] for name in names}
    # Planned load kept off the bar because the budget cannot hold it (at first, all).
    trimmed = len(names) * rule.maximum * legs * settings.duration_s if budgeted else 0.0

    def fit_bar(rounds_left: int) -> None:
        """Plan at most the budget's seconds left, so the bar's estimate respects it."""
        nonlocal trimmed
        if share_end is not None and budgeted:
            planned = len(running) * rounds_left * legs * settings.duration_s
            want = min(planned, max(0.0, share_end - ps.clock()))
            ps.plan(trimmed - (planned - want))
            trimmed = planned - want

    fit_bar(rule.maximum)
    for order in protocol.round_orders(names, rule.maximum, ps.seed, key):
        measured = tuple(name for name in order.order if name in running)
        if not measured:
            break
        sequence = protocol.mirrored(measured) if legs == 2 else measured
        for name in sequence:
            state = by_name[name]
            if state.ok and not state.skip:
                began = ps.clock()
                _trial(state, state.points[index], order.index, settings, ops, ps, trials[name])
                spent[name].append(ps.clock() - began)
            doing = f"[{settings.name}] {key} round {order.index + 1}/{rule.maximum}: {name}"
            ps.advance(settings.duration_s, doing)
        done.append(replace(order, order=sequence))
        gone = {n for n in running if not by_name[n].ok or by_name[n].skip}
        ps.plan(-len(gone) * (rule.maximum - order.index - 1) * legs * settings.duration_s)
        running -= gone
        last = {n: trials[n][-1] for n in running if trials[n]}
        found, floor = _interim(index, key, settings, by_name, trials, ps)
        for line in stopping.interval_lines(found, measured):
            ps.progress(line)
        if not rule.auto:
            found, floor = (), None
        left = None
        if share_end is not None:
            # an arm's seconds per round: its trials' mean wall time, times its legs
            pace = {n: legs * sum(s) / len(s) for n, s in spent.items() if s}
            left = stopping.Budget(share_end - ps.clock(), pace)
        decided = stopping.decide(
            rule, order.index + 1, running, found, floor, references, last, left
        )
        for name, stop in sorted(decided.items()):
            stops[name] = stop
            running.discard(name)
            ps.plan(-(rule.maximum - stop.rounds) * legs * settings.duration_s)
            ps.progress(f"  {name}: {stopping.stop_line(stop)}")
        fit_bar(rule.maximum - order.index - 1)
    for state in active:
        done_trials = trials[state.arm.name]
        unmeasured = state.skip if not done_trials else ""  # e.g. its warm-up could not settle
        record = _summary(state, state.points[index], done_trials, unmeasured)
        if state.arm.name in stops:
            record = replace(record, stopping=stops[state.arm.name])
        state.records.append(record)
        if settings.scenario.skips_after_backlog and not state.skip:
            state.skip = backlog_skip(record, settings)
    return done


def _references(names: Sequence[str], baseline: str | None) -> set[str]:
    """The arms that run while any other does: the baseline (or its candidates), every A/A
    twin, and each twin's original (its pair is a noise floor only while both run)."""
    candidates = {baseline} if baseline else set(protocol.ARTICLE_SERVERS)
    twins = {n for n in names if n.endswith(protocol.AA_SUFFIX)}
    originals = {n.removesuffix(protocol.AA_SUFFIX) for n in twins}
    return {n for n in names if n in candidates or n in twins or n in originals}


def _interim(
    index: int,
    key: str,
    settings: ScenarioSettings,
    by_name: dict[str, ArmState],
    trials: dict[str, list[RunRecord]],
    ps: ProtocolSettings,
) -> tuple[tuple[PointComparison, ...], float | None]:
    """The point's comparisons over the rounds so far, and the A/A half-width if known."""
    points = {
        name: record
        for name, runs in trials.items()
        if runs
        and (record := summarize_point(by_name[name].points[index], runs, None)).status == "ok"
    }
    metric = settings.scenario.compared_metric
    baseline = protocol.choose_baseline(
        {name: p.median(metric) for name, p in points.items()}, ps.baseline
    )
    if baseline is None:
        return (), None
    found, calibration = protocol.point_comparisons(
        key,
        points,
        baseline,
        metric,
        higher_is_better=settings.scenario.higher_is_better,
        seed=ps.seed,
    )
    return found, calibration.halfwidth


def _warm_up(state: ArmState, point: Point, settings: ScenarioSettings, ops: Ops) -> None:
    run = ops.measure(state, point, "warmup", 0, settings.warmup_s, 0)
    state.warmup, problem = ops.settle(state, run, point)
    if problem:
        state.skip = problem


def _trial(
    state: ArmState,
    point: Point,
    round_index: int,
    settings: ScenarioSettings,
    ops: Ops,
    ps: ProtocolSettings,
    out: list[RunRecord],
) -> None:
    """One arm's trial of one round; with `--strict` a disturbed trial is measured again.

    The second leg of a mirrored round numbers its attempts after the first leg's, so its
    raw files get their own names.
    """
    attempts = 1 + (ps.max_repeats if ps.strict else 0)
    before = sum(1 for r in out if r.index == round_index)  # this round's earlier legs
    for attempt in range(attempts):
        if ps.fresh_servers and (problem := ops.restart(state, point)):
            state.skip = problem
            return
        duration = point.duration_s or settings.duration_s
        run = ops.measure(state, point, "measured", round_index, duration, attempt + before)
        run, problem = ops.settle(state, run, point)
        repeat = run.disturbed and attempt + 1 < attempts and not problem
        out.append(replace(run, kind="repeated") if repeat else run)
        ps.progress(f"  {state.arm.name} round {round_index + 1}: {describe(run)}")
        if problem:
            state.skip = problem
        if not state.running.alive():
            code = state.running.returncode()
            state.fail("failed", f"server exited with code {code} during {point.label}")
        if not repeat:
            return


def backlog_skip(record: PointRecord, settings: ScenarioSettings) -> str:
    """Why a sweep stops a contender after this point: it answered each connection < once."""
    answered = min(
        (r.load.requests for r in record.runs if r.kind == "measured" and r.load is not None),
        default=0,
    )
    if record.status == "ok" and answered >= settings.connections:
        return ""
    return (
        f"n={record.params.get('n')} already got fewer answers than connections in "
        f"{settings.duration_s:g} s; a larger n would only queue"
    )


def _common_key(points: Sequence[Point], index: int) -> str:
    keys = {p.key for p in points}
    return keys.pop() if len(keys) == 1 else f"point {index + 1}"


def _summary(
    state: ArmState, point: Point, runs: list[RunRecord], skipped: str = "", *, warmed: bool = True
) -> PointRecord:
    return summarize_point(
        point,
        runs,
        state.warmup if warmed else None,
        skipped,
        pinning=state.recorded_pinning(),
        parallelism=state.parallelism(),
    )


def _contender_run(state: ArmState) -> ContenderRun:
    log = state.server_log
    if not log and state.server.running is not None:
        log = state.running.stderr_tail()
    return ContenderRun(
        contender=state.arm.name,
        status=state.status,
        reason=state.reason,
        startup_s=state.startup_s,
        conformance=state.conformance,
        probe=state.probe,
        points=tuple(state.records),
        server_log=log,
        arm=state.arm.kind,
        url=state.arm.remote.url if state.arm.remote else "",
    )


def compare_scenario(
    settings: ScenarioSettings, results: Sequence[ContenderRun], ps: ProtocolSettings
) -> tuple[tuple[PointComparison, ...], dict[str, float], float | None]:
    """Per point: baseline chosen, A/A calibration, every arm compared (pure but for `compare`)."""
    if not settings.scenario.compares_arms:
        return (), {}, None
    keys = list(dict.fromkeys(p.key for r in results for p in r.points))
    metric = settings.scenario.compared_metric
    comparisons: list[PointComparison] = []
    noise: dict[str, float] = {}
    for key in keys:
        points = {r.contender: p for r in results if (p := r.point(key)) and p.status == "ok"}
        medians = {name: p.median(metric) for name, p in points.items()}
        baseline = protocol.choose_baseline(medians, ps.baseline)
        if baseline is None:
            continue
        found, calibration = protocol.point_comparisons(
            key,
            points,
            baseline,
            metric,
            higher_is_better=settings.scenario.higher_is_better,
            seed=ps.seed,
        )
        comparisons += found
        if calibration.halfwidth is not None:
            noise[key] = calibration.halfwidth
    if settings.scenario.compares_points:
        for run in results:
            comparisons += protocol.scaling_comparisons(
                run.contender, run.points, metric, seed=ps.seed
            )
    plain = [c.comparison for c in comparisons if not c.aa]
    floor = max(noise.values(), default=None)
    smallest = verdicts.smallest_resolvable(plain, floor) if plain else None
    if smallest is not None and not math.isfinite(smallest):
        smallest = None
    return tuple(comparisons), noise, smallest


def describe(run: RunRecord) -> str:
    """One progress line for a trial."""
    if run.status != "ok" or run.load is None:
        return f"FAILED {run.reason}"
    lat = run.load.latency_ms
    p99 = f", p99 {lat.p99:.1f} ms" if lat else ""
    marks = " [generator-bound]" if run.generator_bound else ""
    if run.disturbed and run.disturbance is not None:
        others = run.disturbance.others_share
        steal = run.disturbance.steal_share
        stolen = run.disturbance.steal_s
        marks += (
            f" [disturbed: others {others * 100:.0f}%, steal {steal * 100:.0f}% ({stolen:.2f} s)]"
        )
    return f"{run.load.req_per_s:,.1f} req/s{p99}{marks}"
