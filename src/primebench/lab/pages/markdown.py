"""The Markdown report: a pure function from a results document to text (pyperf `MarkDownTable`).

First the article's table, as the article printed it (metrics as rows, one column per
contender), measured; then the article's own claimed figures, marked as claims; then
one table per scenario, the contenders, and what went wrong. The README's table is
this output, pasted; golden tests pin it.
"""

from __future__ import annotations

from collections.abc import Sequence

from primebench.lab.model.results import Document
from primebench.lab.pages.sections import claims_scenario, headline_scenario, scenario_tables
from primebench.lab.render.claims import claims_table
from primebench.lab.render.footnotes import algorithm_labels
from primebench.lab.render.tables import (
    Table,
    contenders_table,
    headline_table,
    setup_lines,
)

__all__ = ["render", "render_table"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(table: Table, level: int = 3) -> str:
    """One table with its title as a heading and its notes as a list under it."""
    lines = [f"{'#' * level} {table.title}", ""]
    lines.append("| " + " | ".join(_cell(h) for h in table.header) + " |")
    lines.append("|" + "|".join("---" for _ in table.header) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    if table.notes:
        lines.append("")
        lines += [f"- {note}" for note in table.notes]
    return "\n".join(lines) + "\n"


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"- {line}" for line in lines) + "\n"


def render(doc: Document) -> str:
    """The whole report as Markdown."""
    parts = ["# primebench results\n", _bullets(setup_lines(doc))]
    headline = headline_scenario(doc)
    if headline is not None:
        parts.append(render_table(headline_table(doc, headline), level=2))
    article = claims_scenario(doc)
    if article is not None:
        parts.append(render_table(claims_table(doc, article), level=2))
    parts.append("## Scenarios\n")
    labels = algorithm_labels(doc)
    for scenario in doc.scenarios:
        for table in scenario_tables(scenario, labels):
            parts.append(render_table(table, level=3))
    parts.append(render_table(contenders_table(doc), level=2))
    if doc.notes:
        parts.append("## Notes\n\n" + _bullets(doc.notes))
    return "\n".join(parts)
