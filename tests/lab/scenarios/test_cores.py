"""The cores scenario: the article's point at 1, 2, ... server cores."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from primebench.errors import UserError
from primebench.lab.model.generators import Generator
from primebench.lab.scenarios import get
from tests.lab.scenarios.fixture import recorded

CORES = get("cores")
USABLE = len(os.sched_getaffinity(0))


def test_defaults_climb_to_every_usable_core() -> None:
    s = CORES.defaults()
    assert s.server_cores == tuple(range(1, USABLE + 1))
    assert (s.generator, s.n, s.connections, s.warmup_s) == (Generator.WRK, 20000, 100, 3.0)


def test_plan_is_one_point_per_core_count_carrying_its_count() -> None:
    points = CORES.plan(replace(CORES.defaults(), server_cores=(1,)), "rust-axum")
    assert [(p.key, p.label, p.server_cores) for p in points] == [("cores=1", "1 server core", 1)]
    assert dict(points[0].params) == {"n": 20000, "cores": 1}
    if USABLE >= 2:
        two = CORES.plan(replace(CORES.defaults(), server_cores=(1, 2)), "rust-axum")
        assert [p.label for p in two] == ["1 server core", "2 server cores"]


def test_more_cores_than_the_machine_gives_is_a_user_error() -> None:
    with pytest.raises(UserError, match=f"this machine gives 1..{USABLE} cores"):
        CORES.plan(replace(CORES.defaults(), server_cores=(USABLE + 1,)), "rust-axum")


def test_compares_each_arms_points_with_its_first() -> None:
    assert CORES.compares_points and CORES.generator_choosable
    assert (CORES.compared_metric, CORES.higher_is_better) == ("req_per_s", True)
    assert not CORES.heads_report


def test_table_and_chart_on_the_fixture() -> None:
    (table,) = CORES.tables(recorded("cores"))
    assert table.header[:3] == ("Contender", "1 core", "2 cores")
    rust = next(row for row in table.rows if row[0] == "rust-axum")
    # 74, 75, 76 req/s on one core; 146, 148, 150 on two: 148 / (2 x 75) = 0.99
    assert rust[1] == "75.0 (74.0–76.0)" and rust[2].startswith("148.0 (146.0–150.0), eff 0.99")
    (chart,) = CORES.charts(recorded("cores"))
    assert "against server cores" in chart
