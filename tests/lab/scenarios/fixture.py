"""The small fixture document's scenarios, for the scenarios' table and chart tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from primebench.lab.model import results
from primebench.lab.model.load_records import LoadResult
from primebench.lab.model.results import ContenderRun, RunRecord, ScenarioRecord
from primebench.lab.run.point_records import summarize_point
from primebench.lab.run.rounds import ProtocolSettings, compare_scenario
from primebench.lab.scenarios import get
from tests.lab.golden_util import FIXTURE


def recorded(name: str) -> ScenarioRecord:
    found = results.load(FIXTURE).scenario(name)
    assert found is not None, name
    return found


def article_as(name: str) -> ScenarioRecord:
    """The fixture's article record under another one-point scenario's name (the fixture
    has no floor or random-n run; their view is the same single-point one)."""
    return dataclasses.replace(recorded("article"), name=name)


#: req/s of each arm at each swept count (a ratio to go-seed that climbs with connections,
#: as issue 18 measured).
SWEEP_RPS = {
    "go-seed": {16: 92_000.0, 64: 88_000.0, 256: 69_000.0},
    "go-seed#aa": {16: 91_500.0, 64: 88_300.0, 256: 69_200.0},
    "primebench": {16: 44_000.0, 64: 57_000.0, 256: 82_000.0},
}


def _trial(index: int, rps: float) -> RunRecord:
    load = LoadResult("wrk", 5.0, int(rps * 5), rps, None, 0.0, 0, 0, 0)
    return RunRecord(
        "measured", index, "ok", "", load, None, 1.0, 1, None, 0.1, 5.0, 1, False, None
    )


def floor_sweep(
    rounds: int = 5,
    failed: str = "",
    rps: Mapping[str, Mapping[int, float]] = SWEEP_RPS,
    spread: Mapping[str, float] | None = None,
) -> ScenarioRecord:
    """A floor record over 16, 64 and 256 connections, go-seed the baseline with its A/A
    twin, summarised and compared by the run's own functions from scripted trials whose
    rounds differ by a few % (so every comparison has an interval); `failed` names an arm
    recorded as failed to start. `rps` the arms and their req/s by count; `spread` an arm's
    step between rounds (default 0.01: its rounds range over ±2 %)."""
    floor = get("floor")
    settings = dataclasses.replace(floor.defaults(), connections_sweep=(16, 64, 256), rounds=rounds)
    runs = []
    for name, by_count in rps.items():
        if name == failed:
            runs.append(
                ContenderRun(
                    contender=name,
                    status="failed",
                    reason="did not start",
                    startup_s=None,
                    conformance=None,
                    points=(),
                )
            )
            continue
        points = []
        for point in floor.plan(settings, name):
            rps = by_count[point.params["connections"]]
            step = (spread or {}).get(name, 0.01)
            jitter = [1.0 + step * ((i * 7 + sum(map(ord, name))) % 5 - 2) for i in range(rounds)]
            trials = [_trial(i, rps * j) for i, j in enumerate(jitter)]
            points.append(summarize_point(point, trials, None))
        runs.append(
            ContenderRun(
                contender=name,
                status="ok",
                reason="",
                startup_s=0.1,
                conformance=None,
                points=tuple(points),
            )
        )
    ps = ProtocolSettings(seed=3, baseline="go-seed", progress=lambda _: None)
    comparisons, noise, smallest = compare_scenario(settings, runs, ps)
    return ScenarioRecord(
        "floor", settings.to_json(), tuple(runs), (), comparisons, noise, smallest
    )
