"""The convoy scenario: a light open-loop stream alone, then beside a heavy stream."""

from __future__ import annotations

from dataclasses import replace

from primebench.lab.model.generators import Generator
from primebench.lab.scenarios import get
from primebench.lab.scenarios.base import Stream
from primebench.lab.scenarios.convoy import heavy_range
from tests.lab.scenarios.fixture import recorded

CONVOY = get("convoy")


def test_plan_is_the_light_stream_alone_then_loaded() -> None:
    settings = replace(CONVOY.defaults(), heavy_n=30000, heavy_n_for={"primebench": 10})
    unloaded, loaded = CONVOY.plan(settings, "primebench")
    assert (unloaded.key, loaded.key) == ("unloaded", "loaded")
    assert loaded.label == "light stream beside heavy n=10"
    light = Stream("main", Generator.OHA, "/prime?n=1", 32, rate=50.0, random_n=(1, 10000))
    assert unloaded.streams == (light,)
    assert loaded.streams == (
        light,
        Stream("background", Generator.WRK, "/prime?n=10", 4, random_n=(10, 10)),
    )
    assert dict(loaded.params) == {
        "light_rate": 50.0,
        "light_max_n": 10000,
        "heavy_n": 10,
        "heavy_connections": 4,
    }
    assert CONVOY.plan(settings, "go-seed")[1].params["heavy_n"] == 30000


def test_heavy_stream_varies_n_so_no_answer_cache_can_serve_it() -> None:
    assert heavy_range(10**12) == (999_000_000_000, 1_000_000_000_000)
    assert heavy_range(20000) == (19_980, 20_000)
    assert heavy_range(10) == (10, 10)  # n // 1000 == 0: the one n
    assert heavy_range(1) == (1, 1)


def test_compares_the_light_streams_p99_lower_is_better_with_both_tools() -> None:
    assert (CONVOY.compared_metric, CONVOY.higher_is_better) == ("latency_p99_ms", False)
    assert CONVOY.generators(CONVOY.defaults()) == {Generator.OHA, Generator.WRK}
    assert not CONVOY.generator_choosable and not CONVOY.heads_report
    assert CONVOY.defaults().generator is Generator.OHA


def test_table_on_the_fixture() -> None:
    (table,) = CONVOY.tables(recorded("convoy"))
    (row,) = table.rows
    # node-seed's light p99: 2.00 ms alone, 95.0 ms beside the heavy stream
    assert row[0] == "node-seed" and row[3:7] == ("2.00 ms", "36.0 ms", "95.0 ms", "47.50x")
    (chart,) = CONVOY.charts(recorded("convoy"))
    assert "alone and beside the heavy stream" in chart
