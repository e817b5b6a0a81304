"""The Markdown report, pinned by a golden file built from the small fixture document."""

from __future__ import annotations

from primebench.lab import report_md, results, tables
from tests.lab.golden_util import FIXTURE, assert_golden


def test_markdown_report_matches_golden() -> None:
    assert_golden("report-small.md", report_md.render(results.load(FIXTURE)))


def test_headline_table_has_the_articles_rows_and_one_column_per_contender() -> None:
    doc = results.load(FIXTURE)
    article = doc.scenario("article")
    assert article is not None
    table = tables.headline_table(doc, article)
    assert [row[0] for row in table.rows] == [
        "Requests/Sec",
        "Latency (Avg)",
        "Latency (p50)",
        "Latency (p99)",
        "Throughput",
        "Artifact size",
        "Start-up (to first answer)",
        "Memory (peak RSS)",
    ]
    assert table.header[1:] == tuple(c.name for c in doc.contenders)


def test_failed_and_generator_bound_cells_say_so() -> None:
    text = report_md.render(results.load(FIXTURE))
    assert "| Requests/Sec | 55.0 ±2% | 50.0 ±8%~ | failed | unavailable | 23,900 ±0%† |" in text
    assert "generator-bound" in text
    assert "rust-axum: failed: verification failed" in text


def test_claims_are_marked_as_claims() -> None:
    text = report_md.render(results.load(FIXTURE))
    assert "Node.js (v22) (claimed)" in text
    assert "| Requests/Sec | ~1,200 | ~18,500 | ~24,000 | 55.0 | 50.0~ | failed |" in text


def test_render_table_escapes_pipes() -> None:
    table = tables.Table("t", ("a", "b"), (("x|y", "z"),))
    assert "x\\|y" in report_md.render_table(table)
