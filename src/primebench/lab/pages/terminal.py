"""What `bench` prints: the article's answer in tables a 120-column terminal can show.

The report's article table has one column per contender (the article's shape): with
thirteen contenders its lines ran to ~700 characters. Here it is transposed, one row per
contender, with the figures that answer the article's question (req/s, latency, failures,
the comparison and its interval, how many rounds); then the article's claims, one row per
server; then the A/A noise floor and the smallest difference the run could resolve. The
wide tables and every note stay in the Markdown and HTML reports, whose paths the bench
prints after these.

Pure functions from a document to `Table`s (golden-tested), and two renderings of them:
plain Markdown (piped) and `rich` tables (a terminal, the ecosystem's habit).
"""

from __future__ import annotations

from rich.table import Table as RichTable

from primebench.lab.model.results import Document, ScenarioRecord
from primebench.lab.pages.markdown import render_table
from primebench.lab.pages.sections import claims_scenario, headline_scenario, terminal_extras
from primebench.lab.render.claims import claims_table
from primebench.lab.render.table import Table
from primebench.lab.render.tables import headline_table

__all__ = ["WIDTH", "render_plain", "rich_tables", "summary_lines", "terminal_tables"]

WIDTH = 120
#: The headline rows kept, by their label's start, and the short column names they get.
_KEPT = (
    ("Requests/Sec", "req/s (median, min–max)"),
    ("Latency (Avg", "latency avg"),
    ("Errors/timeouts", "err/timeout/non-2xx"),
    ("Against the baseline", "vs baseline (95 % CI)"),
)
_ROUNDS = {
    "precision": "precise",
    "maximum": "max",
    "cannot-answer": "no answer",
    "budget": "budget",
    "fixed": "",
}


def _rounds_cell(scenario: ScenarioRecord, name: str) -> str:
    run = scenario.result(name)
    stops = [p.stopping for p in run.points if p.stopping is not None] if run else []
    if not stops:
        return "–"
    stop = stops[0]
    return f"{stop.rounds} {_ROUNDS.get(stop.reason, stop.reason)}".strip()


def _transposed(table: Table, kept: tuple[tuple[str, str], ...]) -> tuple[tuple[str, ...], ...]:
    """Columns of `table` (one per contender) as rows, with only the `kept` metric rows."""
    by_label = {row[0]: row[1:] for row in table.rows}
    columns = []
    for start, _ in kept:
        label = next((lbl for lbl in by_label if lbl.startswith(start)), None)
        columns.append(by_label[label] if label is not None else ("–",) * (len(table.header) - 1))
    return tuple(zip(table.header[1:], *columns, strict=True))


def terminal_tables(doc: Document) -> tuple[Table, ...]:
    """The article's table (one row per contender), its claims (one row per server), and
    any scenario's own terminal table (the floor's sweep: a row per contender and count)."""
    found: list[Table] = []
    headline = headline_scenario(doc)
    if headline is not None:
        wide = headline_table(doc, headline)
        rows = _transposed(wide, _KEPT)
        found.append(
            Table(
                wide.title,
                ("contender", *(short for _, short in _KEPT), "rounds"),
                tuple((*row, _rounds_cell(headline, row[0])) for row in rows),
            )
        )
    article = claims_scenario(doc)
    if article is not None:
        claims = claims_table(doc, article)
        labels = tuple(row[0] for row in claims.rows)
        rows = tuple(
            (server, *(row[i] for row in claims.rows))
            for i, server in enumerate(claims.header[1:], start=1)
        )
        note = "claimed: the article's own table (M4 MacBook Pro); measured: this run, this machine"
        found.append(Table(claims.title, ("server", *labels), rows, (note,)))
    found += terminal_extras(doc)
    return tuple(found)


def summary_lines(doc: Document) -> tuple[str, ...]:
    """The A/A noise floor and the smallest resolvable difference of the headline scenario."""
    headline = headline_scenario(doc)
    if headline is None:
        return ()
    lines = []
    if headline.noise:
        floors = ", ".join(f"±{v * 100:.1f} % at {k}" for k, v in headline.noise.items())
        lines.append(f"A/A noise floor: {floors} (a smaller difference is not claimed)")
    else:
        lines.append("A/A noise floor: not measured (--no-calibrate, or no baseline to twin)")
    if headline.smallest_resolvable is not None:
        lines.append(
            f"smallest difference this run could resolve: {headline.smallest_resolvable * 100:.1f} %"
        )
    return tuple(lines)


def render_plain(doc: Document) -> str:
    """The terminal tables as Markdown, for a pipe or a log."""
    parts = [render_table(t, level=2) for t in terminal_tables(doc)]
    parts += ["\n".join(f"- {line}" for line in summary_lines(doc)) + "\n"]
    return "\n".join(parts)


def rich_tables(doc: Document) -> list[RichTable]:
    """The same tables as `rich` renders them on a terminal."""
    found = []
    for table in terminal_tables(doc):
        shown = RichTable(title=table.title, title_justify="left", caption_justify="left")
        for name in table.header:
            shown.add_column(name, overflow="fold")
        for row in table.rows:
            shown.add_row(*row)
        if table.notes:
            shown.caption = "\n".join(table.notes)
        found.append(shown)
    return found
