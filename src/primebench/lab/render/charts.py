"""The report's charts, one function per kind of scenario (pure: document in, SVG out).

Which scenario gets which chart is the scenario's business (`lab.scenarios`); these only draw.
"""

from __future__ import annotations

from primebench.lab.model.results import ScenarioRecord
from primebench.lab.model.vocabulary import Metric
from primebench.lab.render import units as fmt
from primebench.lab.render.footnotes import answer_counts
from primebench.lab.render.scaling import cores_scaling
from primebench.lab.render.svg import Bar, Series, bar_chart, line_chart

__all__ = ["convoy_chart", "cores_chart", "headline_charts", "rate_chart", "sweep_chart"]


PERCENTILE_BARS: tuple[tuple[str, Metric], ...] = (
    ("p50", "latency_p50_ms"),
    ("p90", "latency_p90_ms"),
    ("p99", "latency_p99_ms"),
)


def headline_charts(scenario: ScenarioRecord) -> list[str]:
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
        for pct, metric in PERCENTILE_BARS:
            if (v := point.median(metric)) is not None:
                latencies.append(Bar(run.contender, pct, v, fmt.ms(v)))
    charts = []
    if rates:
        charts.append(bar_chart(f"{scenario.name}: requests per second (median)", rates, "req/s"))
    if latencies:
        charts.append(
            bar_chart(f"{scenario.name}: latency percentiles (median of rounds)", latencies, "ms")
        )
    return charts


def convoy_chart(scenario: ScenarioRecord) -> list[str]:
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


def _curve(scenario: ScenarioRecord, x_param: str, metric: Metric) -> list[Series]:
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


def cores_chart(scenario: ScenarioRecord) -> list[str]:
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


def rate_chart(scenario: ScenarioRecord) -> list[str]:
    series = _curve(scenario, "rate", "latency_p99_ms")
    title = "rate: p99 latency (coordinated-omission corrected) against offered load"
    return [line_chart(title, series, "offered req/s", "p99 ms")] if series else []


def sweep_chart(scenario: ScenarioRecord) -> list[str]:
    series = _curve(scenario, "n", "req_per_s")
    return [line_chart("sweep: req/s against n", series, "n", "req/s")] if series else []
