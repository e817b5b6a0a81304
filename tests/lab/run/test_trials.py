"""A trial's record from what was observed (pure): overlap, generator share, disturbance."""

from __future__ import annotations

from pathlib import Path

import pytest

from primebench.lab.host.disturbance import Disturbance
from primebench.lab.model.load_records import LoadResult, LoadSpec
from primebench.lab.run.loadgen import Generator, LoadRun
from primebench.lab.run.measure import Observed, RunContext, build_run_record
from primebench.lab.run.scenarios import cores_pinning


def context(server: set[int], generator: set[int]) -> RunContext:
    return RunContext(Path("."), frozenset(server), frozenset(generator), Path("."), "x")


def observed(*, cpu_s: float = 0.05, others: float = 0.01) -> Observed:
    spec = LoadSpec(port=1, path="/prime?n=20000", connections=100, duration_s=10.0)
    result = LoadResult("wrk", 10.0, 800, 80.0, None, 1000.0, 0, 0, 0)
    run = LoadRun(Generator.WRK, spec, result, "", ("wrk",), 0, "", "", 10.0, cpu_s)
    shaken = Disturbance((0, 1), 10.0, 0.0, 10.0, 9.8, others * 20, 0.0, others)
    return Observed([run], 19.0, 10_000_000, 10.0, 19.5, 19.5, True, None, 1, shaken)


def test_a_generator_sharing_the_servers_cores_is_recorded_with_its_share() -> None:
    record = build_run_record(
        observed(cpu_s=0.3),
        context({0, 1}, {0, 1}),
        kind="measured",
        index=2,
        duration_s=10.0,
        raw=[],
    )
    assert record.cpus_overlap == (0, 1)
    assert record.generator_share == pytest.approx(0.03)  # 0.3 s CPU over 10 s wall
    assert record.server_cores_foreign is None  # shared cores: "others" is not separable
    assert record.index == 2 and record.status == "ok"


def test_a_generator_on_its_own_core_has_no_overlap() -> None:
    record = build_run_record(
        observed(), context({0}, {1}), kind="measured", index=0, duration_s=10.0, raw=[]
    )
    assert record.cpus_overlap == ()
    assert record.server_cores_foreign is not None


def test_disturbance_is_kept_and_flagged_above_ten_percent() -> None:
    quiet = build_run_record(
        observed(others=0.05),
        context({0}, {1}),
        kind="measured",
        index=0,
        duration_s=10.0,
        raw=[],
    )
    busy = build_run_record(
        observed(others=0.25),
        context({0}, {1}),
        kind="measured",
        index=0,
        duration_s=10.0,
        raw=[],
    )
    assert not quiet.disturbed and busy.disturbed
    assert busy.disturbance is not None and busy.disturbance.others_share == 0.25


def test_cores_pinning_shares_only_when_no_core_is_left() -> None:
    one = cores_pinning(1, frozenset({0, 1}))
    two = cores_pinning(2, frozenset({0, 1}))
    assert (one.server, one.generator, one.shared) == (frozenset({0}), frozenset({1}), False)
    assert (two.server, two.generator, two.shared) == (frozenset({0, 1}), frozenset({0, 1}), True)
    three = cores_pinning(3, frozenset({0, 1, 2, 3}))
    assert (three.server, three.generator) == (frozenset({0, 1, 2}), frozenset({3}))
