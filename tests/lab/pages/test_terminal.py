"""What `bench` prints: one row per contender, within 120 columns, plain or rich."""

from __future__ import annotations

import dataclasses
import io

from rich.console import Console

from primebench.lab.model import results
from primebench.lab.model.bench_records import Stopping
from primebench.lab.pages import terminal
from tests.lab.golden_util import FIXTURE, assert_golden


def test_plain_terminal_tables_match_golden_and_fit_120_columns() -> None:
    text = terminal.render_plain(results.load(FIXTURE))
    assert_golden("terminal-small.md", text)
    assert max(len(line) for line in text.splitlines()) <= terminal.WIDTH


def test_one_row_per_contender_with_its_rounds() -> None:
    doc = results.load(FIXTURE)
    article = doc.scenario("article")
    assert article is not None
    node = next(r for r in article.results if r.contender == "node-seed")
    stopped = dataclasses.replace(node.points[0], stopping=Stopping(3, "precision", 0.021, 0.03))
    runs = tuple(
        dataclasses.replace(r, points=(stopped,)) if r is node else r for r in article.results
    )
    doc = dataclasses.replace(
        doc,
        scenarios=tuple(
            dataclasses.replace(s, results=runs) if s is article else s for s in doc.scenarios
        ),
    )
    table, claims = terminal.terminal_tables(doc)
    assert [row[0] for row in table.rows] == [c.name for c in doc.contenders]
    assert table.rows[0][-1] == "3 precise" and table.rows[1][-1] == "–"
    assert [row[0] for row in claims.rows][:3] == [
        "Node.js (v22) (claimed)",
        "Go (v1.24) (claimed)",
        "Rust (Axum) (claimed)",
    ]


def test_rich_tables_fit_a_120_column_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, width=terminal.WIDTH, force_terminal=False)
    for table in terminal.rich_tables(results.load(FIXTURE)):
        console.print(table)
    text = out.getvalue()
    assert "457.50 [383.90, 521.70] faster" in text and "primebench" in text
    assert max(len(line) for line in text.splitlines()) <= terminal.WIDTH
