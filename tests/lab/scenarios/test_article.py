"""The article scenario: the article's one point, its tool, and the report's head."""

from __future__ import annotations

from dataclasses import replace

from primebench.lab.model.generators import Generator
from primebench.lab.scenarios import get
from primebench.lab.scenarios.base import Stream
from tests.lab.scenarios.fixture import recorded

ARTICLE = get("article")


def test_defaults_are_the_articles_run() -> None:
    s = ARTICLE.defaults()
    assert (s.generator, s.n, s.connections, s.duration_s) == (
        Generator.AUTOCANNON,
        20000,
        100,
        10.0,
    )
    assert (s.rounds, s.warmup_s) == (5, 5.0)


def test_plan_is_one_point_with_the_chosen_tool() -> None:
    settings = replace(ARTICLE.defaults(), generator=Generator.WRK, n=4000, connections=16)
    (point,) = ARTICLE.plan(settings, "go-seed")
    assert (point.key, point.label, dict(point.params)) == ("n=4000", "n=4000", {"n": 4000})
    assert point.streams == (Stream("main", Generator.WRK, "/prime?n=4000", 16),)
    assert point.server_cores is None  # the bench's cores
    assert ARTICLE.generators(settings) == {Generator.WRK}
    assert ARTICLE.capacity_probe(settings) is None


def test_what_it_compares_and_where_it_is_shown() -> None:
    assert (ARTICLE.compared_metric, ARTICLE.higher_is_better) == ("req_per_s", True)
    assert ARTICLE.generator_choosable and not ARTICLE.compares_points
    assert not ARTICLE.skips_after_backlog
    assert ARTICLE.heads_report and ARTICLE.beside_claims


def test_table_and_charts_on_the_fixture() -> None:
    record = recorded("article")
    (table,) = ARTICLE.tables(record)
    assert table.header[:2] == ("Contender", "req/s")
    rows = {row[0]: row for row in table.rows}
    assert rows["go-seed"][1] == "50.0 (46.0–62.0)"  # rounds of 46, 50, 62 req/s
    assert rows["rust-axum"][1] == "failed"
    bars, percentiles = ARTICLE.charts(record)
    assert "article: requests per second (median)" in bars
    assert "article: latency percentiles (median of rounds)" in percentiles
