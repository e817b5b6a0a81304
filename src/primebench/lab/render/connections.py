"""The floor's connections sweep shown: req/s and the ratio to the baseline per concurrency.

A sweep's points are one per connection count (`params["connections"]`). The report gets
grids (a column per count, the reader compares across), the terminal a long table (a row
per contender and count) that stays within 120 columns however many counts were swept.
Pure functions from a scenario record, like every renderer.
"""

from __future__ import annotations

from primebench.lab.model.comparison_records import own_noise
from primebench.lab.model.results import ContenderRun, PointRecord, ScenarioRecord
from primebench.lab.render import units as fmt
from primebench.lab.render.comparisons import aa_cell, comparison_cell
from primebench.lab.render.footnotes import marks_notes
from primebench.lab.render.svg import Series, line_chart
from primebench.lab.render.table import Table
from primebench.lab.render.tables import figure, grid_table, status_cell, title

__all__ = ["counts", "sweep_charts", "sweep_tables", "terminal_table", "versus"]


def counts(record: ScenarioRecord) -> list[tuple[str, int]]:
    """The swept points as (key, connections), in ascending count."""
    found: dict[str, int] = {}
    for run in record.results:
        for point in run.points:
            count = point.params.get("connections")
            if isinstance(count, int) and point.key not in found:
                found[point.key] = count
    return sorted(found.items(), key=lambda item: item[1])


def versus(record: ScenarioRecord, key: str, name: str) -> str:
    """The arm's ratio to the point's baseline with its interval, `baseline`, or `–`."""
    for found in record.comparisons:
        if found.point == key and found.comparison.contender == name:
            return aa_cell(found) if found.aa else comparison_cell(found)
    if any(c.point == key and c.comparison.baseline == name for c in record.comparisons):
        return "baseline"
    return "–"


def _noise_notes(record: ScenarioRecord) -> tuple[str, ...]:
    """The baseline's A/A floor per count, then each other twinned arm's (`--twin`)."""
    floors = ", ".join(
        f"±{record.noise[key] * 100:.1f} % at {count}"
        for key, count in counts(record)
        if key in record.noise
    )
    notes = [f"A/A noise floor by connections: {floors}."] if floors else []
    baselines = {c.comparison.baseline for c in record.comparisons if not c.aa}
    for arm in dict.fromkeys(c.comparison.baseline for c in record.comparisons if c.aa):
        if arm in baselines:
            continue
        own = [(count, own_noise(record.comparisons, key, arm)) for key, count in counts(record)]
        listed = ", ".join(f"±{w * 100:.1f} % at {n}" for n, w in own if w is not None)
        notes.append(f"{arm}'s own A/A floor (its twin), for comparisons against it: {listed}.")
    return tuple(notes)


def _cell(record: ScenarioRecord, key: str, run: ContenderRun) -> str:
    point = run.point(key)
    if point is None or point.status != "ok":
        return point.status if point is not None else "–"
    return f"{figure(point, 'req_per_s', fmt.rate)} · {versus(record, key, run.contender)}"


def sweep_tables(record: ScenarioRecord) -> list[Table]:
    """req/s with the ratio to the baseline, then p99, one column per connection count."""
    keys = counts(record)
    rows = tuple(
        (run.contender, *[status_cell(run) or _cell(record, key, run) for key, _ in keys])
        for run in record.results
    )
    both = Table(
        f"{title(record)}: req/s · ratio to the baseline, by connections",
        ("Contender", *[f"{count} connections" for _, count in keys]),
        rows,
        (
            (
                "req/s: median of the rounds. Ratio: geometric mean of the per-round paired "
                "ratios (arm / baseline) at that concurrency, with its 95 % bootstrap interval."
            ),
            *_noise_notes(record),
            *marks_notes(record),
        ),
    )
    return [both, grid_table(record, "latency_p99_ms", fmt.ms, "p99 latency by connections")]


def _rounds(point: PointRecord) -> str:
    stop = point.stopping
    if stop is None:
        return str(len({r.index for r in point.runs if r.kind == "measured"}) or "–")  # legs
    return f"{stop.rounds} {'' if stop.reason == 'fixed' else stop.reason}".strip()


def terminal_table(record: ScenarioRecord) -> Table:
    """One row per contender and connection count: req/s, ratio to the baseline, rounds."""
    rows: list[tuple[str, ...]] = []
    for run in record.results:
        for key, count in counts(record):
            point = run.point(key)
            if status_cell(run) or point is None or point.status != "ok":
                why = status_cell(run) or (point.status if point else "not run")
                rows.append((run.contender, str(count), why, "–", "–"))
                continue
            rows.append(
                (
                    run.contender,
                    str(count),
                    figure(point, "req_per_s", fmt.rate, spread=True),
                    versus(record, key, run.contender),
                    _rounds(point),
                )
            )
    return Table(
        f"{record.name}: req/s and ratio to the baseline by connections",
        ("contender", "conns", "req/s (median, min–max)", "vs baseline (95 % CI)", "rounds"),
        tuple(rows),
        _noise_notes(record),
    )


def sweep_charts(record: ScenarioRecord) -> list[str]:
    """req/s against connections, and the ratio to the baseline with its interval."""
    rates, ratios = [], []
    for run in record.results:
        pts, spans, rpts, rspans = [], [], [], []
        for key, count in counts(record):
            point = run.point(key)
            if point is not None and point.status == "ok" and (s := point.summary.get("req_per_s")):
                pts.append((float(count), s.median))
                spans.append((s.minimum, s.maximum))
            found = next(
                (
                    c.comparison
                    for c in record.comparisons
                    if c.point == key and c.comparison.contender == run.contender and not c.aa
                ),
                None,
            )
            if found is not None:
                rpts.append((float(count), found.ratio))
                low, high = found.ci_low or found.ratio, found.ci_high or found.ratio
                rspans.append((low, high))
        if pts:
            rates.append(Series(run.contender, tuple(pts), tuple(spans)))
        if rpts:
            ratios.append(Series(run.contender, tuple(rpts), tuple(rspans)))
    charts = []
    if rates:
        what = f"{record.name}: req/s against connections (median, bar: min–max of rounds)"
        charts.append(line_chart(what, rates, "connections", "req/s"))
    if ratios:
        what = f"{record.name}: ratio to the baseline against connections (bar: 95 % interval)"
        charts.append(line_chart(what, ratios, "connections", "× baseline"))
    return charts
