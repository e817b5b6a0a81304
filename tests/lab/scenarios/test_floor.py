"""The floor scenario: n=1, the HTTP cost of each stack."""

from __future__ import annotations

from dataclasses import replace

from primebench.lab.model.generators import Generator
from primebench.lab.scenarios import get
from primebench.lab.scenarios.base import Stream
from tests.lab.scenarios.fixture import article_as

FLOOR = get("floor")


def test_defaults_ask_for_n_1_with_wrk() -> None:
    s = FLOOR.defaults()
    assert (s.generator, s.n, s.connections, s.duration_s, s.rounds) == (
        Generator.WRK,
        1,
        100,
        10.0,
        5,
    )


def test_plan_is_one_point_at_the_settings_n() -> None:
    (point,) = FLOOR.plan(FLOOR.defaults(), "go-seed")
    assert (point.key, dict(point.params)) == ("n=1", {"n": 1})
    assert point.streams == (Stream("main", Generator.WRK, "/prime?n=1", 100),)
    chosen = replace(FLOOR.defaults(), generator=Generator.OHA)
    assert FLOOR.generators(chosen) == {Generator.OHA}


def test_compares_req_per_s_and_can_head_the_report_but_not_the_claims() -> None:
    assert (FLOOR.compared_metric, FLOOR.higher_is_better) == ("req_per_s", True)
    assert FLOOR.generator_choosable and FLOOR.heads_report and not FLOOR.beside_claims


def test_one_table_of_every_figure() -> None:
    (table,) = FLOOR.tables(article_as("floor"))
    assert table.title.startswith("floor: ")
    assert ("node-seed", "55.0 (54.0–56.0)") == table.rows[0][:2]
    assert len(FLOOR.charts(article_as("floor"))) == 2
