"""The HTML report: one self-contained static page (inline CSS and SVG, no script, no network).

The same tables as the Markdown report (`tables.py`), plus charts: req/s and latency
percentiles of the headline scenario, the convoy's light stream alone vs loaded, the
rate scenario's latency against offered load, the sweep's req/s against n, and req/s
against server cores (with each point's range over rounds). A pure
function of the document, pinned by a golden test.
"""

from __future__ import annotations

from html import escape

from primebench.lab import units as fmt
from primebench.lab.report_md import headline_scenario
from primebench.lab.results import Document, ScenarioRecord
from primebench.lab.svg import Bar, Series, bar_chart, line_chart
from primebench.lab.tables import (
    Table,
    answer_counts,
    claims_table,
    contenders_table,
    cores_scaling,
    headline_table,
    scenario_tables,
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


def _headline_charts(scenario: ScenarioRecord) -> list[str]:
    rates, latencies = [], []
    for run in scenario.results:
        point = next((p for p in run.points if p.status == "ok"), None)
        if point is None:
            continue
        if (r := point.median("req_per_s")) is not None:
            marks = (" †" if point.generator_bound else "") + (
                " ‡" if answer_counts(point)[1] else ""
            )
            rates.append(Bar(run.contender, "req/s", r, fmt.rate(r) + marks))
        for pct in ("p50", "p90", "p99"):
            if (v := point.median(f"latency_{pct}_ms")) is not None:
                latencies.append(Bar(run.contender, pct, v, fmt.ms(v)))
    charts = []
    if rates:
        charts.append(bar_chart(f"{scenario.name}: requests per second (median)", rates, "req/s"))
    if latencies:
        charts.append(
            bar_chart(f"{scenario.name}: latency percentiles (median of runs)", latencies, "ms")
        )
    return charts


def _convoy_chart(scenario: ScenarioRecord) -> list[str]:
    bars = []
    for run in scenario.results:
        for key, name in (("unloaded", "light p99 alone"), ("loaded", "light p99 beside heavy")):
            point = run.point(key)
            if point is not None and (v := point.median("latency_p99_ms")) is not None:
                bars.append(Bar(run.contender, name, v, fmt.ms(v)))
    return (
        [bar_chart("convoy: the light stream's p99, alone and beside the heavy stream", bars, "ms")]
        if bars
        else []
    )


def _curve(scenario: ScenarioRecord, x_param: str, metric: str) -> list[Series]:
    series = []
    for run in scenario.results:
        pts = []
        for point in run.points:
            x, y = point.params.get(x_param), point.median(metric)
            if point.status == "ok" and isinstance(x, int | float) and y is not None:
                pts.append((float(x), y))
        if pts:
            series.append(Series(run.contender, tuple(sorted(pts))))
    return series


def _cores_chart(scenario: ScenarioRecord) -> list[str]:
    series = [
        Series(
            name,
            tuple((float(c), v[0]) for c, v in sorted(curve.items())),
            tuple((v[1], v[2]) for _, v in sorted(curve.items())),
        )
        for name, curve in cores_scaling(scenario).items()
    ]
    title = "cores: req/s against server cores (median, bar: min–max of rounds)"
    return [line_chart(title, series, "server cores", "req/s")] if series else []


def _scenario_charts(scenario: ScenarioRecord) -> list[str]:
    if scenario.name == "cores":
        return _cores_chart(scenario)
    if scenario.name == "convoy":
        return _convoy_chart(scenario)
    if scenario.name == "rate":
        series = _curve(scenario, "rate", "latency_p99_ms")
        return (
            [
                line_chart(
                    "rate: p99 latency (coordinated-omission corrected) against offered load",
                    series,
                    "offered req/s",
                    "p99 ms",
                )
            ]
            if series
            else []
        )
    if scenario.name == "sweep":
        series = _curve(scenario, "n", "req_per_s")
        return [line_chart("sweep: req/s against n", series, "n", "req/s")] if series else []
    return _headline_charts(scenario)


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
    article = doc.scenario("article")
    if article is not None:
        parts.append(_table(claims_table(doc, article), level=2, css="claims"))
    parts.append("<h2>Scenarios</h2>")
    for scenario in doc.scenarios:
        parts += [_figure(svg) for svg in _scenario_charts(scenario)]
        parts += [_table(t) for t in scenario_tables(scenario)]
    parts.append(_table(contenders_table(doc), level=2))
    if doc.notes:
        parts.append(
            "<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in doc.notes) + "</ul>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
