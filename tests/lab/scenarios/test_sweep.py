"""The sweep scenario: n climbing on a log scale, a contender that falls behind stopped."""

from __future__ import annotations

from dataclasses import replace

import pytest

from primebench.lab.model.generators import Generator
from primebench.lab.scenarios import get
from primebench.lab.scenarios.sweep import log_spaced
from tests.lab.scenarios.fixture import recorded

SWEEP = get("sweep")


def test_log_spaced() -> None:
    assert log_spaced(1, 10**6) == (1, 10, 100, 1000, 10000, 100000, 1000000)
    assert log_spaced(1, 100, per_decade=2) == (1, 3, 10, 32, 100)
    assert log_spaced(7, 7) == (7,)
    with pytest.raises(ValueError, match="1 <= low <= high"):
        log_spaced(10, 1)


def test_defaults_bound_a_slow_engines_backlog() -> None:
    s = SWEEP.defaults()
    assert (s.connections, s.duration_s, s.warmup_s, s.rounds) == (16, 5.0, 2.0, 3)
    assert s.sweep_ns == (1, 10, 100, 1000, 10000, 100000, 1000000)


def test_plan_is_one_point_per_n_in_order() -> None:
    settings = replace(SWEEP.defaults(), sweep_ns=(1, 100), generator=Generator.OHA)
    points = SWEEP.plan(settings, "go-seed")
    assert [p.key for p in points] == ["n=1", "n=100"]
    assert [p.streams[0].path for p in points] == ["/prime?n=1", "/prime?n=100"]
    assert {p.streams[0].generator for p in points} == {Generator.OHA}
    assert SWEEP.generators(settings) == {Generator.OHA}


def test_skips_after_a_backlog_and_never_heads_the_report() -> None:
    assert SWEEP.skips_after_backlog and SWEEP.generator_choosable
    assert not SWEEP.heads_report and not SWEEP.compares_points


def test_tables_by_n_on_the_fixture() -> None:
    rates, latencies = SWEEP.tables(recorded("sweep"))
    assert rates.title.endswith(": req/s by n") and latencies.title.endswith(": p99 latency by n")
    assert rates.header == ("Contender", "n=1", "n=100", "n=10000", "n=1000000")
    assert rates.rows[0][0] == "go-seed" and rates.rows[0][-1] == "skipped"
    assert latencies.rows[0][1:4] == ("5.00 ms", "5.20 ms", "25.0 ms")
    (chart,) = SWEEP.charts(recorded("sweep"))
    assert "sweep: req/s against n" in chart
