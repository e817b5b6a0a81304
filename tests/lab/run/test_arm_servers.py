"""The process side's scenario steps: a point's own cores, and the capacity pre-step."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytest

from primebench.lab.host.resources import cores_pinning
from primebench.lab.model.load_records import LoadResult
from primebench.lab.model.results import ContenderInfo, RunRecord
from primebench.lab.run import arm_servers
from primebench.lab.run.arm_servers import point_pinning
from primebench.lab.run.trials import Arm, ArmState
from primebench.lab.scenarios import get
from primebench.lab.scenarios.base import Point


def test_a_point_without_its_own_cores_runs_on_the_benchs() -> None:
    assert point_pinning(None) is None
    assert point_pinning(Point("n=1", "n=1", {"n": 1}, ())) is None


def test_a_point_with_a_core_count_gets_the_lowest_usable_cores() -> None:
    usable = frozenset(os.sched_getaffinity(0))
    point = Point("cores=1", "1 server core", {"cores": 1}, (), server_cores=1)
    pinned = point_pinning(point)
    assert pinned == cores_pinning(1, usable)
    assert pinned is not None and pinned.server == frozenset({min(usable)})


@dataclass
class _Contender:
    name: str


def _state(name: str) -> ArmState:
    info = ContenderInfo(name, "", "", "", True, "", "", {"ok": True}, None)
    arm = Arm(name, _Contender(name), "contender")  # type: ignore[arg-type]
    return ArmState(arm, None, info)  # type: ignore[arg-type]


def _probed(state: ArmState, rps: float | None, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run `_plan` for the rate scenario with the probe's trial scripted; the probes' keys."""
    measured: list[str] = []

    def trial(state: ArmState, point: Point, kind: str, *_: object) -> RunRecord:
        measured.append(f"{kind}:{point.key}")
        load = None if rps is None else LoadResult("wrk", 1.0, int(rps), rps, None, 0.0, 0, 0, 0)
        status, reason = ("ok", "") if rps is not None else ("failed", "wrk exited 1")
        return RunRecord(
            kind, 0, status, reason, load, None, 1.0, 1, None, 0.1, 1.0, 1, False, None
        )

    monkeypatch.setattr(arm_servers, "_trial", trial)
    monkeypatch.setattr(arm_servers, "_settle_or_restart", lambda s, run, p, b: (run, ""))
    monkeypatch.setattr(arm_servers, "_primed", lambda s, p: "")
    rate = get("rate")
    reason = arm_servers._plan(state, rate.defaults(), None)  # type: ignore[arg-type]
    assert reason == state.reason
    return measured


def test_the_rate_scenarios_capacity_probe_runs_first_and_sets_its_rates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = _state("go-seed")
    assert _probed(state, 46.3, monkeypatch) == ["probe:capacity"]
    assert state.probe is not None and state.ok
    assert [p.params["rate"] for p in state.points] == [12.0, 23.0, 35.0, 42.0, 51.0]


def test_a_failed_capacity_probe_fails_the_arm_with_its_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = _state("go-seed")
    _probed(state, None, monkeypatch)
    assert (state.status, state.reason) == ("failed", "capacity probe: wrk exited 1")
    assert state.points == []


class _SlowToStop:
    """An arm's server whose stop takes `stop_s` (a drain), or fails."""

    def __init__(self, stop_s: float, fails: bool = False) -> None:
        self.stop_s = stop_s
        self.fails = fails
        self.closed = False

    def close(self) -> None:
        time.sleep(self.stop_s)
        self.closed = True
        if self.fails:
            raise OSError("could not stop")


def test_a_scenarios_servers_are_stopped_at_once_not_one_after_the_other() -> None:
    arms = [_SlowToStop(0.4) for _ in range(5)]
    started = time.monotonic()
    arm_servers.close_all(arms)  # type: ignore[arg-type]
    took = time.monotonic() - started
    assert all(a.closed for a in arms)
    assert took < 0.4 * len(arms) / 2, f"{took:.2f} s: stopped one after the other"


def test_a_failed_stop_is_raised_after_every_other_server_stopped() -> None:
    arms = [_SlowToStop(0.0, fails=True), _SlowToStop(0.2), _SlowToStop(0.2)]
    with pytest.raises(OSError, match="could not stop"):
        arm_servers.close_all(arms)  # type: ignore[arg-type]
    assert all(a.closed for a in arms)
