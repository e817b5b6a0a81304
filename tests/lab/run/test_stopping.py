"""`--rounds auto`: an arm stops on its interval's width, never on its verdict; an arm that
cannot answer is decided at once. Synthetic rounds through the real round loop."""

from __future__ import annotations

from dataclasses import replace

from primebench.lab.model.load_records import LoadResult
from primebench.lab.model.results import PointComparison, PointRecord, RunRecord, ScenarioRecord
from primebench.lab.model.verdicts import Comparison, Verdict
from primebench.lab.model.vocabulary import TrialKind
from primebench.lab.render.footnotes import stopping_note
from primebench.lab.run import stopping
from primebench.lab.run.rounds import Ops, ProtocolSettings, run_scenario
from primebench.lab.run.stopping import stop_line
from primebench.lab.run.trials import ArmState
from primebench.lab.scenarios import get
from primebench.lab.scenarios.base import Point, ScenarioSettings
from tests.lab.run.test_rounds import PIN, states

# req/s per arm and round: a steady baseline, a tight arm at half its speed, a wide one
# whose rounds swing by 3x (same median), and one that only times out.
RPS = {
    "go-seed": [1000.0, 1002.0, 998.0, 1001.0, 999.0, 1000.0, 1003.0, 997.0, 1000.0, 1001.0],
    "tight": [500.0, 503.0, 498.0, 502.0, 499.5, 500.0, 501.0, 499.0, 500.0, 500.0],
    "wide": [300.0, 900.0, 500.0, 250.0, 950.0, 400.0, 800.0, 300.0, 700.0, 500.0],
    "stuck": [0.0] * 10,
}


def trial(kind: TrialKind, index: int, rps: float, duration_s: float = 1.0) -> RunRecord:
    timeouts = 100 if rps == 0 else 0
    load = LoadResult("wrk", duration_s, int(rps * duration_s), rps, None, 0.0, 0, 0, timeouts)
    return RunRecord(
        kind, index, "ok", "", load, None, 1.0, 1, None, 0.1, duration_s, 1, False, None
    )


def scripted(calls: list[tuple[str, int]]) -> Ops:
    def ready(state: ArmState, sc: ScenarioSettings, first: Point | None) -> str:
        state.pinning = PIN
        state.server.start(PIN.server)
        state.points = sc.scenario.plan(sc, state.arm.name)
        return ""

    def measure(
        state: ArmState, point: Point, kind: TrialKind, index: int, d: float, attempt: int
    ) -> RunRecord:
        calls.append((state.arm.name, index))
        return trial(kind, index, RPS[state.arm.name][index], d)

    return Ops(
        ready=ready,
        measure=measure,
        settle=lambda s, run, p: (run, ""),
        repin=lambda s, p: "",
        restart=lambda s, p: "",
    )


def auto(**kw: object) -> ScenarioSettings:
    base = replace(get("article").defaults(), warmup_s=0.0)
    return replace(base, rounds=10, auto_rounds=True, min_rounds=3, precision=0.03, **kw)  # type: ignore[arg-type]


def stops(record: ScenarioRecord) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for run in record.results:
        point: PointRecord = run.points[0]
        assert point.stopping is not None, run.contender
        found[run.contender] = (point.stopping.rounds, point.stopping.reason)
    return found


def test_a_wide_arm_runs_to_the_maximum_and_a_tight_one_stops_at_the_minimum() -> None:
    calls: list[tuple[str, int]] = []
    lines: list[str] = []
    record = run_scenario(
        auto(),
        states("go-seed", "tight", "wide", "stuck"),
        scripted(calls),
        ProtocolSettings(seed=1, progress=lines.append),
    )
    assert stops(record) == {
        "tight": (3, "precision"),
        "wide": (10, "maximum"),
        "stuck": (1, "cannot-answer"),
        "go-seed": (10, "maximum"),  # the baseline runs while any arm does
    }
    measured = {name: [i for n, i in calls if n == name] for name in RPS}
    assert measured["tight"] == [0, 1, 2] and measured["wide"] == list(range(10))
    assert measured["stuck"] == [0]  # no further 10 s of timeouts, no restart
    assert [len(r.runs) for r in (p for run in record.results for p in run.points)] == [
        10,
        3,
        10,
        1,
    ]
    # The orders recorded are the arms actually measured in each round.
    assert all("tight" not in o.order for o in record.rounds[3:])
    assert all("stuck" not in o.order for o in record.rounds[1:])
    tight = next(c.comparison for c in record.comparisons if c.comparison.contender == "tight")
    assert tight.ci_low is not None and tight.ci_high is not None
    assert 0.49 < tight.ci_low < tight.ci_high < 0.51
    wide = next(r for r in record.results if r.contender == "wide").points[0].stopping
    assert wide is not None and wide.halfwidth is not None and wide.halfwidth > 0.03
    assert any("tight: stopped after 3 rounds: precise enough" in line for line in lines)
    assert any("stuck: decided after 1 round: cannot answer" in line for line in lines)
    note = stopping_note(record)  # what the report prints under the scenario's tables
    assert note.startswith("rounds per arm (--rounds auto: 3-10,")
    assert "tight 3 (precise ±" in note and "stuck 1 (cannot answer)" in note
    assert "wide 10 (maximum ±" in note


def test_fixed_rounds_run_every_round_and_say_so() -> None:
    calls: list[tuple[str, int]] = []
    settings = replace(get("article").defaults(), warmup_s=0.0, rounds=4)
    record = run_scenario(
        settings,
        states("go-seed", "tight", "wide"),
        scripted(calls),
        ProtocolSettings(seed=1, progress=lambda _: None),
    )
    assert stops(record) == {"go-seed": (4, "fixed"), "tight": (4, "fixed"), "wide": (4, "fixed")}
    assert len(calls) == 12


def comparison(name: str, low: float, high: float, ratio: float) -> Comparison:
    return Comparison(
        "req_per_s", name, "base", (ratio,) * 3, ratio, low, high, 0.95, Verdict.SLOWER, None
    )


def test_the_stop_looks_at_the_width_never_at_the_verdict() -> None:
    """Two arms with intervals of one width, one excluding 1 and one not: the same decision."""
    rule = stopping.RoundsRule(auto=True, maximum=10)
    found = [
        PointComparison("p", comparison("claims", 0.51, 0.53, 0.52), aa=False),  # ±1.9 %
        PointComparison("p", comparison("ties", 0.99, 1.03, 1.01), aa=False),  # ±2.0 %
        PointComparison("p", comparison("middling", 0.96, 1.04, 1.0), aa=False),  # ±4.1 %
        PointComparison("p", comparison("noisy", 0.60, 0.90, 0.75), aa=False),  # ±22 %
    ]
    running = {"base", "claims", "ties", "middling", "noisy"}
    decided = stopping.decide(rule, 3, running, found, None, {"base"}, {})
    assert sorted(decided) == ["claims", "ties"]  # one claims a difference, one does not
    assert {d.reason for d in decided.values()} == {"precision"}
    # With an A/A floor of 5 %, ±4.1 % is as precise as this machine can resolve.
    decided = stopping.decide(rule, 3, running, found, 0.05, {"base"}, {})
    assert sorted(decided) == ["claims", "middling", "ties"]
    assert decided["middling"].target == 0.05
    # Before the minimum, nothing stops on precision.
    assert stopping.decide(rule, 2, running, found, 0.05, {"base"}, {}) == {}


def test_an_arm_that_cannot_answer_is_decided_at_once() -> None:
    rule = stopping.RoundsRule(auto=False, maximum=5)
    last = {"stuck": trial("measured", 0, 0.0), "slow": trial("measured", 0, 0.5)}
    last["fine"] = trial("measured", 0, 2.0)
    decided = stopping.decide(rule, 1, {"stuck", "slow", "fine"}, [], None, set(), last)
    assert sorted(decided) == ["slow", "stuck"]
    assert decided["stuck"].reason == "cannot-answer" and decided["stuck"].rounds == 1
    assert stop_line(decided["stuck"]).startswith("decided after 1 round: cannot answer")


class Clock:
    """A clock the scripted trials move: each trial takes `trial_s` seconds of it."""

    def __init__(self, trial_s: float) -> None:
        self.now = 1000.0
        self.trial_s = trial_s

    def __call__(self) -> float:
        return self.now


def timed(calls: list[tuple[str, int]], clock: Clock) -> Ops:
    ops = scripted(calls)
    inner = ops.measure

    def measure(
        state: ArmState, point: Point, kind: TrialKind, index: int, d: float, attempt: int
    ) -> RunRecord:
        clock.now += clock.trial_s
        return inner(state, point, kind, index, d, attempt)

    return replace(ops, measure=measure)


def budgeted(budget_s: float) -> tuple[ScenarioRecord, list[tuple[str, int]], list[str]]:
    calls: list[tuple[str, int]] = []
    lines: list[str] = []
    clock = Clock(10.0)
    bar = {"planned": 0.0, "done": 0.0, "most": 0.0}

    def plan(seconds: float) -> None:
        bar["planned"] += seconds
        bar["most"] = max(bar["most"], bar["planned"])

    def advance(seconds: float, doing: str) -> None:
        bar["done"] += seconds

    record = run_scenario(
        auto(budget_s=budget_s, duration_s=10.0),
        states("go-seed", "tight", "wide"),
        timed(calls, clock),
        ProtocolSettings(seed=1, progress=lines.append, clock=clock, plan=plan, advance=advance),
    )
    # The live bar ends full, and never planned more load than the budget could hold
    # (or than the minimum rounds need, when those exceed it).
    assert bar["planned"] == bar["done"] == 10.0 * len(calls)
    assert bar["most"] <= max(budget_s, 10.0 * len(calls))
    return record, calls, lines


def test_a_budget_stops_the_wide_arm_when_the_next_round_would_not_fit() -> None:
    """10 s a trial: the minimum (3 rounds of 3 arms) takes 90 s. Then only the baseline and
    the wide arm run on (20 s a round): 130 s fits two more rounds, and no third."""
    record, calls, lines = budgeted(130.0)
    assert stops(record) == {
        "tight": (3, "precision"),
        "wide": (5, "budget"),
        "go-seed": (5, "budget"),
    }
    assert len(calls) == 3 * 3 + 2 * 2  # 130 s of 10 s trials: nothing started past it
    wide = next(r for r in record.results if r.contender == "wide").points[0].stopping
    # Stopped with its interval as it stands: wider than the target, and reported.
    assert wide is not None and wide.halfwidth is not None and wide.target is not None
    assert wide.halfwidth > wide.target
    found = next(c.comparison for c in record.comparisons if c.comparison.contender == "wide")
    assert found.ci_low is not None and len(found.per_round) == 5
    assert any("wide: stopped after 5 rounds: the time budget was spent" in x for x in lines)
    note = stopping_note(record)
    assert "wide 5 (budget spent ±" in note and "'budget spent': the next round" in note


def test_the_minimum_runs_whatever_the_budget() -> None:
    """An interval needs three rounds: a budget smaller than that still gets them."""
    record, calls, _ = budgeted(5.0)
    assert stops(record) == {
        "tight": (3, "precision"),
        "wide": (3, "budget"),
        "go-seed": (3, "budget"),
    }
    assert len(calls) == 9
    # A budget that fits every round changes nothing: the wide arm reaches the maximum.
    record, calls, _ = budgeted(10_000.0)
    assert stops(record)["wide"] == (10, "maximum") and len(calls) == 3 * 3 + 7 * 2


def test_the_budget_looks_at_the_clock_never_at_the_verdict() -> None:
    """Arms of one pace stop together whatever their intervals say; a fixed count ignores it."""
    rule = stopping.RoundsRule(auto=True, maximum=10)
    found = [
        PointComparison("p", comparison("claims", 0.40, 0.60, 0.5), aa=False),  # excludes 1
        PointComparison("p", comparison("ties", 0.80, 1.20, 1.0), aa=False),  # includes 1
    ]
    running = {"base", "claims", "ties"}
    pace = {"base": 10.0, "claims": 10.0, "ties": 10.0}
    short = stopping.Budget(29.0, pace)  # one more round of three arms takes 30 s
    decided = stopping.decide(rule, 3, running, found, None, {"base"}, {}, short)
    assert {n: d.reason for n, d in decided.items()} == dict.fromkeys(running, "budget")
    assert decided["claims"].halfwidth is not None and decided["claims"].halfwidth > 0.03
    enough = stopping.Budget(30.0, pace)
    assert stopping.decide(rule, 3, running, found, None, {"base"}, {}, enough) == {}
    fixed = stopping.RoundsRule(auto=False, maximum=5)
    assert stopping.decide(fixed, 3, running, found, None, {"base"}, {}, short) == {}
