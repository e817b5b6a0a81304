"""The floor scenario: n=1, the HTTP cost of each stack."""

from __future__ import annotations

from dataclasses import replace

from primebench.lab.model.generators import Generator
from primebench.lab.pages.markdown import render_table
from primebench.lab.pages.terminal import WIDTH
from primebench.lab.scenarios import get
from primebench.lab.scenarios.base import Stream
from tests.lab.scenarios.fixture import article_as, floor_sweep

FLOOR = get("floor")


def test_defaults_sweep_four_connection_counts_at_n_1_with_wrk_in_mirrored_rounds() -> None:
    s = FLOOR.defaults()
    assert (s.generator, s.n, s.connections_sweep, s.duration_s, s.rounds) == (
        Generator.WRK,
        1,
        (16, 64, 100, 256),
        1.0,
        5,
    )
    assert FLOOR.sweeps_connections and FLOOR.mirrored_rounds and FLOOR.max_rounds == 30
    assert s.to_json()["connections"] == [16, 64, 100, 256]


def test_plan_is_one_point_per_connection_count() -> None:
    points = FLOOR.plan(FLOOR.defaults(), "go-seed")
    assert [(p.key, dict(p.params)) for p in points] == [
        (f"c={c}", {"n": 1, "connections": c}) for c in (16, 64, 100, 256)
    ]
    assert [p.streams for p in points] == [
        (Stream("main", Generator.WRK, "/prime?n=1", c),) for c in (16, 64, 100, 256)
    ]


def test_one_count_is_the_one_point_floor_of_every_earlier_document() -> None:
    one = replace(FLOOR.defaults(), connections=100, connections_sweep=())
    (point,) = FLOOR.plan(one, "go-seed")
    assert (point.key, dict(point.params)) == ("n=1", {"n": 1})
    assert point.streams == (Stream("main", Generator.WRK, "/prime?n=1", 100),)
    assert one.to_json()["connections"] == 100
    chosen = replace(one, generator=Generator.OHA)
    assert FLOOR.generators(chosen) == {Generator.OHA}


def test_compares_req_per_s_and_can_head_the_report_but_not_the_claims() -> None:
    assert (FLOOR.compared_metric, FLOOR.higher_is_better) == ("req_per_s", True)
    assert FLOOR.generator_choosable and FLOOR.heads_report and not FLOOR.beside_claims


def test_a_one_point_record_shows_one_table_of_every_figure_and_heads_the_report() -> None:
    (table,) = FLOOR.tables(article_as("floor"))
    assert table.title.startswith("floor: ")
    assert ("node-seed", "55.0 (54.0–56.0)") == table.rows[0][:2]
    assert len(FLOOR.charts(article_as("floor"))) == 2
    assert FLOOR.heads(article_as("floor")) and FLOOR.terminal_tables(article_as("floor")) == []


def test_a_sweep_shows_req_per_s_and_the_ratio_with_its_interval_per_count() -> None:
    record = floor_sweep()
    first, p99 = FLOOR.tables(record)
    assert first.header == ("Contender", "16 connections", "64 connections", "256 connections")
    rows = {row[0]: row[1:] for row in first.rows}
    assert rows["go-seed"][0] == "92,000 · baseline"
    primebench = {
        c.point: c.comparison for c in record.comparisons if c.comparison.contender == "primebench"
    }
    low, high = primebench["c=256"].ci_low, primebench["c=256"].ci_high
    assert low is not None and high is not None
    assert rows["primebench"][2] == (
        f"82,000 · {primebench['c=256'].ratio:.2f} [{low:.2f}, {high:.2f}] faster"
    )
    assert rows["go-seed#aa"][1].endswith("A/A contains 1")
    assert any(note.startswith("A/A noise floor by connections: ±") for note in first.notes)
    assert p99.title.endswith("p99 latency by connections")
    assert len(FLOOR.charts(record)) == 2
    assert not FLOOR.heads(record)  # the article-shaped table would show one count only


def test_a_twinned_arm_s_own_floor_is_a_note_of_its_own() -> None:
    """--twin bare: the tables say bare's A/A floor beside the baseline's, per count."""
    rps = {
        "go-seed": {16: 50_000.0, 64: 50_000.0, 256: 50_000.0},
        "go-seed#aa": {16: 50_000.0, 64: 50_000.0, 256: 50_000.0},
        "bare": {16: 100_000.0, 64: 100_000.0, 256: 100_000.0},
        "bare#aa": {16: 100_000.0, 64: 100_000.0, 256: 100_000.0},
    }
    record = floor_sweep(rps=rps)
    first, _ = FLOOR.tables(record)
    (own,) = [n for n in first.notes if n.startswith("bare's own A/A floor")]
    width = record.noise_for("c=16", "bare")
    assert width is not None and f"±{width * 100:.1f} % at 16" in own
    rows = {row[0]: row[1:] for row in first.rows}
    assert rows["bare#aa"][0].endswith("A/A contains 1")


def test_a_sweep_terminal_table_has_a_row_per_arm_and_count_within_120_columns() -> None:
    record = floor_sweep(failed="primebench")
    (table,) = FLOOR.terminal_tables(record)
    assert [row[:2] for row in table.rows] == [
        (name, str(c)) for name in ("go-seed", "go-seed#aa", "primebench") for c in (16, 64, 256)
    ]
    assert table.rows[-1][2:] == ("failed", "–", "–")
    lines = render_table(table, level=2).splitlines()
    assert max(len(line) for line in lines if line.startswith("|")) <= WIDTH
