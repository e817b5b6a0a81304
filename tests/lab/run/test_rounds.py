"""The round loop with its process side scripted: what is measured, when, and what is kept."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from primebench.lab.host.resources import Pinning
from primebench.lab.model.contender_records import BuildOutcome
from primebench.lab.model.load_records import LoadResult
from primebench.lab.model.results import ContenderInfo, RunRecord
from primebench.lab.model.vocabulary import TrialKind
from primebench.lab.run.measure import Server
from primebench.lab.run.remote import RemoteServer
from primebench.lab.run.rounds import Ops, ProtocolSettings, run_scenario
from primebench.lab.run.trials import Arm, ArmState
from primebench.lab.scenarios import get
from primebench.lab.scenarios.base import Point, ScenarioSettings

PIN = Pinning(frozenset({0}), frozenset({1}), shared=False)


@dataclass
class FakeHandle:
    """Stands in for the bench's server wrapper: a 'server' that is a loopback address."""

    running: Server | None = None
    cpus: frozenset[int] | None = None
    restarts: int = 0

    def start(self, cpus: frozenset[int]) -> Server:
        self.cpus = cpus
        self.running = RemoteServer("x", "http://127.0.0.1:1", "127.0.0.1", 1)
        return self.running

    def restart(self, *, stuck: bool = False) -> Server:
        self.restarts += 1
        return self.start(self.cpus or frozenset())


@dataclass
class Script:
    """Records every call; `rps` gives each arm's req/s, `disturbed` which trials are."""

    rps: dict[str, float]
    disturbed: set[tuple[str, int, int]] = field(default_factory=set)  # arm, round, attempt
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    stuck_after_warmup: set[str] = field(default_factory=set)  # arms whose warm-up won't settle
    attempts: dict[tuple[str, str, int, str], int] = field(default_factory=dict)
    repinned: list[tuple[str, str]] = field(default_factory=list)  # arm, point key

    def ops(self, scenario: ScenarioSettings) -> Ops:
        def ready(state: ArmState, sc: ScenarioSettings, first: Point | None) -> str:
            state.pinning = PIN
            state.server.start(PIN.server)
            state.points = sc.scenario.plan(sc, state.arm.name)
            return ""

        def measure(
            state: ArmState, point: Point, kind: TrialKind, index: int, d: float, attempt: int
        ) -> RunRecord:
            key = (state.arm.name, kind, index, point.key)
            assert attempt == self.attempts.get(key, 0)  # the loop counts its repeats
            self.attempts[key] = attempt + 1
            self.calls.append((state.arm.name, kind, index))
            rps = self.rps[state.arm.name]
            load = LoadResult("wrk", d, int(rps * d), rps, None, 0.0, 0, 0, 0)
            shaken = (state.arm.name, index, attempt) in self.disturbed
            return RunRecord(
                kind,
                index,
                "ok",
                "",
                load,
                None,
                1.0,
                1,
                None,
                0.1,
                d,
                1,
                False,
                None,
                disturbed=shaken,
            )

        def repin(state: ArmState, point: Point) -> str:
            self.repinned.append((state.arm.name, point.key))
            return ""

        return Ops(
            ready=ready,
            measure=measure,
            settle=lambda s, run, p: (
                (run, "restart after warm-up failed")
                if run.kind == "warmup" and s.arm.name in self.stuck_after_warmup
                else (run, "")
            ),
            repin=repin,
            restart=lambda s, p: "",
        )


def states(*names: str) -> list[ArmState]:
    info = ContenderInfo("x", "", "", "", True, "", "", BuildOutcome(True, 0.0, ""), None)
    contender = None  # the scripted ops never look at it
    return [
        ArmState(
            Arm(n, contender, "contender"),  # type: ignore[arg-type]
            FakeHandle(),
            replace(info, name=n),
        )
        for n in names
    ]


def one_point(rounds: int) -> ScenarioSettings:
    return replace(get("article").defaults(), rounds=rounds, warmup_s=1.0)


def test_each_round_measures_every_arm_once_in_its_recorded_order() -> None:
    script = Script({"go-seed": 100.0, "primebench": 80.0, "node-seed": 50.0})
    record = run_scenario(
        one_point(4),
        states("go-seed", "primebench", "node-seed"),
        script.ops(one_point(4)),
        ProtocolSettings(seed=5, progress=lambda _: None),
    )
    measured = [(name, i) for name, kind, i in script.calls if kind == "measured"]
    expected = [(name, r.index) for r in record.rounds for name in r.order]
    assert measured == expected
    warmups = [name for name, kind, _ in script.calls if kind == "warmup"]
    assert sorted(warmups) == ["go-seed", "node-seed", "primebench"]
    # go-seed is the fastest article server present: the default baseline
    found = {c.comparison.contender: c.comparison for c in record.comparisons}
    assert set(found) == {"primebench", "node-seed"}
    assert found["primebench"].baseline == "go-seed"
    assert found["primebench"].per_round == (0.8, 0.8, 0.8, 0.8)


def test_strict_repeats_a_disturbed_trial_and_keeps_the_first_quiet_one() -> None:
    script = Script({"go-seed": 100.0}, disturbed={("go-seed", 1, 0), ("go-seed", 1, 1)})
    ps = ProtocolSettings(seed=1, strict=True, max_repeats=2, progress=lambda _: None)
    record = run_scenario(one_point(3), states("go-seed"), script.ops(one_point(3)), ps)
    runs = record.results[0].points[0].runs
    assert [(r.kind, r.index) for r in runs] == [
        ("measured", 0),
        ("repeated", 1),
        ("repeated", 1),
        ("measured", 1),
        ("measured", 2),
    ]


def test_without_strict_a_disturbed_trial_is_kept_and_flagged() -> None:
    script = Script({"go-seed": 100.0}, disturbed={("go-seed", 1, 0)})
    record = run_scenario(
        one_point(3),
        states("go-seed"),
        script.ops(one_point(3)),
        ProtocolSettings(seed=1, progress=lambda _: None),
    )
    runs = record.results[0].points[0].runs
    assert [r.kind for r in runs] == ["measured"] * 3 and runs[1].disturbed


def test_repeats_are_bounded() -> None:
    every = {("go-seed", 0, a) for a in range(10)}
    script = Script({"go-seed": 100.0}, disturbed=every)
    ps = ProtocolSettings(seed=1, strict=True, max_repeats=2, progress=lambda _: None)
    record = run_scenario(one_point(1), states("go-seed"), script.ops(one_point(1)), ps)
    assert [r.kind for r in record.results[0].points[0].runs] == [
        "repeated",
        "repeated",
        "measured",
    ]


def test_a_sweep_stops_a_contender_that_fell_behind() -> None:
    sweep = replace(
        get("sweep").defaults(),
        rounds=1,
        warmup_s=0.0,
        sweep_ns=(1, 100, 10000),
        duration_s=1.0,
        connections=16,
    )
    script = Script({"slow": 10.0, "fast": 1000.0})  # slow: 10 answers < 16 connections
    record = run_scenario(
        sweep, states("slow", "fast"), script.ops(sweep), ProtocolSettings(progress=lambda _: None)
    )
    slow, fast = record.results
    assert [p.status for p in slow.points] == ["ok", "skipped", "skipped"]
    assert "fewer answers than connections" in slow.points[1].reason
    assert [p.status for p in fast.points] == ["ok", "ok", "ok"]
    assert sum(name == "slow" for name, _, _ in script.calls) == 1  # never loaded past n=1


def test_an_arm_whose_warm_up_cannot_settle_is_skipped_with_the_reason() -> None:
    script = Script({"go-seed": 100.0, "other": 50.0}, stuck_after_warmup={"other"})
    record = run_scenario(
        one_point(2),
        states("go-seed", "other"),
        script.ops(one_point(2)),
        ProtocolSettings(seed=1, progress=lambda _: None),
    )
    other = record.result("other")
    assert other is not None
    (point,) = other.points
    assert (point.status, point.reason) == ("skipped", "restart after warm-up failed")
    assert not any(name == "other" and kind == "measured" for name, kind, _ in script.calls)
    assert [c.comparison.contender for c in record.comparisons] == []  # nothing to pair


def test_points_with_their_own_server_cores_are_repinned_before_their_rounds() -> None:
    cores = replace(get("cores").defaults(), server_cores=(1,), rounds=1, warmup_s=0.0)
    script = Script({"go-seed": 100.0, "rust-axum": 90.0})
    run_scenario(
        cores,
        states("go-seed", "rust-axum"),
        script.ops(cores),
        ProtocolSettings(progress=lambda _: None),
    )
    assert script.repinned == [("go-seed", "cores=1"), ("rust-axum", "cores=1")]
    floor_script = Script({"go-seed": 100.0})
    quiet = ProtocolSettings(progress=lambda _: None)
    run_scenario(one_point(1), states("go-seed"), floor_script.ops(one_point(1)), quiet)
    assert floor_script.repinned == []  # the bench's cores throughout


def floor_sweep(rounds: int, *counts: int) -> ScenarioSettings:
    return replace(get("floor").defaults(), rounds=rounds, warmup_s=0.0, connections_sweep=counts)


def test_a_floor_round_runs_its_order_then_the_same_order_reversed() -> None:
    """Mirrored rounds: A B C C B A, every arm twice, recorded as run; each leg of a round
    keeps the round's index and numbers its attempt after the earlier legs'."""
    script = Script({"go-seed": 100.0, "primebench": 80.0, "node-seed": 50.0})
    settings = floor_sweep(3, 16, 64)
    record = run_scenario(
        settings,
        states("go-seed", "primebench", "node-seed"),
        script.ops(settings),
        ProtocolSettings(seed=5, progress=lambda _: None),
    )
    assert [r.point for r in record.rounds] == ["c=16"] * 3 + ["c=64"] * 3
    for order in record.rounds:
        first, second = order.order[:3], order.order[3:]
        assert sorted(first) == ["go-seed", "node-seed", "primebench"]
        assert second == first[::-1]
    measured = [(name, i) for name, kind, i in script.calls if kind == "measured"]
    assert measured == [(name, r.index) for r in record.rounds for name in r.order]
    assert {key[3]: n for key, n in script.attempts.items() if key[1] == "measured"} == {
        "c=16": 2,
        "c=64": 2,
    }
    by_point = {
        c.point: c.comparison for c in record.comparisons if c.comparison.contender == "primebench"
    }
    assert set(by_point) == {"c=16", "c=64"}
    assert by_point["c=16"].per_round == pytest.approx((0.8, 0.8, 0.8))


def test_each_swept_count_is_its_own_point_with_its_own_connections() -> None:
    script = Script({"go-seed": 100.0})
    settings = floor_sweep(1, 16, 256)
    record = run_scenario(
        settings, states("go-seed"), script.ops(settings), ProtocolSettings(progress=lambda _: None)
    )
    points = record.results[0].points
    assert [(p.key, p.params["connections"]) for p in points] == [("c=16", 16), ("c=256", 256)]
    assert record.settings["connections"] == [16, 256]
