"""The HTML report: one self-contained static page (inline CSS and SVG, no script, no network).

The same tables as the Markdown report (`markdown.py`), plus each scenario's own charts
(req/s and latency percentiles of a one-point scenario, the convoy's light stream alone vs
loaded, the rate scenario's latency against offered load, the sweep's req/s against n,
req/s against server cores with each point's range over rounds). A pure function of the
document, pinned by a golden test.
"""

from __future__ import annotations

from html import escape

from primebench.lab.model.results import Document
from primebench.lab.pages.sections import (
    claims_scenario,
    headline_scenario,
    scenario_charts,
    scenario_tables,
)
from primebench.lab.render.claims import claims_table
from primebench.lab.render.footnotes import algorithm_labels
from primebench.lab.render.tables import (
    Table,
    contenders_table,
    headline_table,
    setup_lines,
)

__all__ = ["render"]

STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; }
ul.notes { font-size: 13px; color: #555; }
figure { margin: 1em 0 2em; }
.claims th { background: #fff4e0; }
"""


def _table(table: Table, level: int = 3, css: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    notes = ""
    if table.notes:
        notes = (
            '<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in table.notes) + "</ul>"
        )
    klass = f' class="{css}"' if css else ""
    return (
        f"<h{level}>{escape(table.title)}</h{level}>\n<table{klass}><thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n{body}\n</tbody></table>\n{notes}"
    )


def _figure(svg: str) -> str:
    return f"<figure>\n{svg}\n</figure>"


def render(doc: Document) -> str:
    """The whole report as one HTML page."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>primebench results {escape(doc.created_utc)}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>primebench results</h1>",
        "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in setup_lines(doc)) + "</ul>",
    ]
    headline = headline_scenario(doc)
    if headline is not None:
        parts.append(_table(headline_table(doc, headline), level=2))
    article = claims_scenario(doc)
    if article is not None:
        parts.append(_table(claims_table(doc, article), level=2, css="claims"))
    parts.append("<h2>Scenarios</h2>")
    labels = algorithm_labels(doc)
    for scenario in doc.scenarios:
        parts += [_figure(svg) for svg in scenario_charts(scenario)]
        parts += [_table(t) for t in scenario_tables(scenario, labels)]
    parts.append(_table(contenders_table(doc), level=2))
    if doc.notes:
        parts.append(
            "<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in doc.notes) + "</ul>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
