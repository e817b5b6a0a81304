"""The rate scenario: a capacity probe first, then fixed offered rates, open loop."""

from __future__ import annotations

from dataclasses import replace

import pytest

from primebench.lab.model.generators import Generator
from primebench.lab.scenarios import get
from primebench.lab.scenarios.base import Stream
from tests.lab.scenarios.fixture import recorded

RATE = get("rate")


def test_without_rates_a_closed_loop_capacity_probe_comes_first() -> None:
    probe = RATE.capacity_probe(RATE.defaults())
    assert probe is not None
    assert (probe.key, probe.label, dict(probe.params)) == (
        "capacity",
        "closed-loop capacity",
        {"n": 20000},
    )
    assert probe.streams == (Stream("main", Generator.WRK, "/prime?n=20000", 100),)
    assert RATE.capacity_probe(replace(RATE.defaults(), rates=(5.0,))) is None


def test_rate_points_follow_the_measured_capacity() -> None:
    points = RATE.plan(RATE.defaults(), "go-seed", capacity=46.3)
    # 0.25, 0.5, 0.75, 0.9, 1.1 of 46.3, to two significant digits
    assert [p.params["rate"] for p in points] == [12.0, 23.0, 35.0, 42.0, 51.0]
    assert points[0].streams == (Stream("main", Generator.OHA, "/prime?n=20000", 100, rate=12.0),)
    with pytest.raises(ValueError, match="capacity"):
        RATE.plan(RATE.defaults(), "go-seed")


def test_fixed_rates_need_no_capacity() -> None:
    fixed = replace(RATE.defaults(), rates=(5.0, 50.0))
    points = RATE.plan(fixed, "go-seed")
    assert [(p.key, p.label) for p in points] == [
        ("rate=5", "5 req/s offered"),
        ("rate=50", "50 req/s offered"),
    ]


def test_compares_p99_lower_is_better_with_oha_and_the_probes_wrk() -> None:
    assert (RATE.compared_metric, RATE.higher_is_better) == ("latency_p99_ms", False)
    assert RATE.generators(RATE.defaults()) == {Generator.OHA, Generator.WRK}
    s = RATE.defaults()
    assert (s.generator, s.duration_s, s.warmup_s) == (Generator.OHA, 5.0, 3.0)


def test_tables_by_offered_rate_on_the_fixture() -> None:
    latency, achieved = RATE.tables(recorded("rate"))
    assert latency.header == ("Contender", "rate=10", "rate=20", "rate=40")
    assert latency.rows == (("go-seed", "70.0 ms", "100 ms", "160 ms"),)
    assert achieved.rows == (("go-seed", "9.90", "19.8", "39.6"),)
    (chart,) = RATE.charts(recorded("rate"))
    assert "against offered load" in chart
