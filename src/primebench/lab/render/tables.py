"""Tables built from a results document: the one model both reports render (pure functions).

Markdown and HTML show the same cells, so the cells are computed once here: the
article's table (one column per contender), the article's claims beside what was
measured, one table per scenario, the contenders, and the failures. A figure is a
median over measured runs; its spread is shown when there were several runs, and a
generator-bound figure is marked, because it measured the tool (the marks and the notes
that explain them are `footnotes`').
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from primebench.lab.model.results import ContenderRun, Document, PointRecord, ScenarioRecord
from primebench.lab.model.vocabulary import Metric
from primebench.lab.render import units as fmt
from primebench.lab.render.comparisons import aa_cell, comparison_cell
from primebench.lab.render.footnotes import (
    BOUND_MARK,
    LEGACY_ALGORITHMS,
    NON_2XX_MARK,
    algorithm,
    algorithm_labels,
    algorithm_notes,
    answer_counts,
    marks_notes,
    named,
)
from primebench.lab.render.table import Table

__all__ = [
    "Table",
    "contenders_table",
    "convoy_table",
    "figure",
    "first_ok",
    "grid_table",
    "headline_table",
    "single_point_table",
    "status_cell",
    "title",
]


def figure(point: PointRecord, metric: Metric, render: fmt.Render, spread: bool = False) -> str:
    """The median; with `spread`, the range of the trials beside it (never a MAD of three),
    unless every trial gave the same figure (`0`, not `0 (0–0)`, when all timed out)."""
    summary = point.summary.get(metric)
    if summary is None:
        return "–"
    text = render(summary.median)
    if spread and summary.count > 1 and summary.minimum != summary.maximum:
        text += f" ({render(summary.minimum)}–{render(summary.maximum)})"
    if metric == "req_per_s" and point.generator_bound:
        text += BOUND_MARK
    if metric == "req_per_s" and answer_counts(point)[1]:
        text += NON_2XX_MARK
    return text


def status_cell(run: ContenderRun | None) -> str | None:
    """The cell for a contender without figures, or None when it has figures."""
    if run is None:
        return "not run"
    if run.status == "unavailable":
        return "unavailable"
    if run.status != "ok" and not any(p.status == "ok" for p in run.points):
        return "failed"
    return None


def first_ok(run: ContenderRun) -> PointRecord | None:
    return next((p for p in run.points if p.status == "ok"), None)


LATENCY_METRICS: tuple[Metric, ...] = (
    "latency_avg_ms",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "latency_max_ms",
)

HEADLINE_ROWS: tuple[tuple[str, Metric, fmt.Render, bool], ...] = (
    ("Requests/Sec (median, min–max of rounds)", "req_per_s", fmt.rate, True),
    ("Latency (Avg, completed requests)", "latency_avg_ms", fmt.ms, False),
    ("Latency (p50, completed requests)", "latency_p50_ms", fmt.ms, False),
    ("Latency (p99, completed requests)", "latency_p99_ms", fmt.ms, False),
    ("Throughput", "throughput_bytes_per_s", fmt.bytes_per_s, False),
)


def headline_table(doc: Document, scenario: ScenarioRecord) -> Table:
    """The article's table shape: metrics as rows, one column per contender."""
    names = [c.name for c in doc.contenders]
    runs = [scenario.result(n) for n in names]
    rows: list[tuple[str, ...]] = []
    for label, metric, render, spread in HEADLINE_ROWS:
        cells = []
        for run in runs:
            status = status_cell(run)
            point = None if run is None or status else first_ok(run)
            cells.append(status or (figure(point, metric, render, spread) if point else "failed"))
        rows.append((label, *cells))
    rows.append(("Errors/timeouts/non-2xx (all rounds)", *[_failures_cell(r) for r in runs]))
    rows.append(("Against the baseline (95 % CI)", *[_versus(scenario, n) for n in names]))
    labels = algorithm_labels(doc)
    rows.append(("Algorithm", *[algorithm(n, labels) for n in names]))
    artifact = []
    for name in names:
        info = doc.contender(name)
        art = info.artifact if info else None
        artifact.append(fmt.size(float(art.bytes)) + f" ({art.kind})" if art else "–")
    rows.append(("Artifact size", *artifact))
    rows.append(
        (
            "Start-up (to first answer)",
            *[
                fmt.seconds(r.startup_s) if r is not None and r.startup_s is not None else "–"
                for r in runs
            ],
        )
    )
    memory = []
    for run in runs:
        point = first_ok(run) if run is not None and not status_cell(run) else None
        memory.append(figure(point, "server_peak_rss_bytes", fmt.size) if point else "–")
    rows.append(("Memory (peak RSS)", *memory))
    return Table(
        f"{scenario.name}: {scenario.settings.get('description', '')}".strip(),
        ("Metric", *names),
        tuple(rows),
        marks_notes(scenario),
    )


def _failures_cell(run: ContenderRun | None) -> str:
    if run is None or status_cell(run):
        return "–"
    point = first_ok(run)
    return _failures(point) if point else "–"


def _versus(scenario: ScenarioRecord, name: str) -> str:
    first = next((c for c in scenario.comparisons if c.comparison.contender == name), None)
    if first is not None:
        return aa_cell(first) if first.aa else comparison_cell(first)
    if any(c.comparison.baseline == name for c in scenario.comparisons):
        return "baseline"
    return "–"


def single_point_table(
    scenario: ScenarioRecord, algorithms: Mapping[str, str] | None = None
) -> Table:
    """One row per contender; `algorithms` (`footnotes.algorithm_labels` of the document)
    marks those that do not answer by trial division. Without it (a scenario view that
    has no document at hand), only `LEGACY_ALGORITHMS` are marked."""
    labels = LEGACY_ALGORITHMS if algorithms is None else algorithms
    header = (
        "Contender",
        "req/s",
        "avg",
        "p50",
        "p90",
        "p99",
        "max",
        "errors/timeouts/non-2xx",
        "CPU per request",
        "peak RSS",
    )
    rows = []
    for run in scenario.results:
        point = first_ok(run) if not status_cell(run) else None
        if point is None:
            rows.append((named(run.contender, labels), status_cell(run) or "failed", *["–"] * 8))
            continue
        rows.append(
            (
                named(run.contender, labels),
                figure(point, "req_per_s", fmt.rate, spread=True),
                *[figure(point, metric, fmt.ms) for metric in LATENCY_METRICS],
                _failures(point),
                figure(point, "cpu_s_per_request", fmt.cpu_per_request),
                figure(point, "server_peak_rss_bytes", fmt.size),
            )
        )
    notes = (
        (
            "req/s: median (min–max of the rounds). Latency covers completed requests only; "
            "what did not complete is counted in errors/timeouts/non-2xx (summed over rounds)."
        ),
        *algorithm_notes(scenario, labels),
        *marks_notes(scenario),
    )
    return Table(title(scenario), header, tuple(rows), notes)


def _failures(point: PointRecord) -> str:
    runs = [r for r in point.runs if r.kind == "measured" and r.load is not None]
    errors = sum(r.load.errors for r in runs if r.load)
    timeouts = sum(r.load.timeouts for r in runs if r.load)
    non_2xx = sum(r.load.non_2xx for r in runs if r.load)
    return f"{errors}/{timeouts}/{non_2xx}"


def title(scenario: ScenarioRecord) -> str:
    s = scenario.settings
    conns = s.get("connections")
    conns = "/".join(str(c) for c in conns) if isinstance(conns, list) else conns
    return (
        f"{scenario.name}: {s.get('description', '')} "
        f"({s.get('generator')}, {conns} connections, {s.get('duration_s')} s x "
        f"{s.get('rounds')} rounds, warm-up {s.get('warmup_s')} s)"
    )


def grid_table(scenario: ScenarioRecord, metric: Metric, render: fmt.Render, what: str) -> Table:
    keys: list[str] = []
    for run in scenario.results:
        keys += [p.key for p in run.points if p.key not in keys]
    rows = []
    for run in scenario.results:
        status = status_cell(run)
        cells = []
        for key in keys:
            found = run.point(key)
            if status or found is None:
                cells.append(status or "–")
            elif found.status != "ok":
                cells.append(found.status)
            else:
                cells.append(figure(found, metric, render))
        rows.append((run.contender, *cells))
    return Table(
        f"{title(scenario)}: {what}", ("Contender", *keys), tuple(rows), marks_notes(scenario)
    )


def convoy_table(scenario: ScenarioRecord) -> Table:
    header = (
        "Contender",
        "heavy n",
        "light p50 alone",
        "light p99 alone",
        "light p50 loaded",
        "light p99 loaded",
        "p99 loaded/alone",
        "heavy req/s",
    )
    rows = []
    for run in scenario.results:
        alone, loaded = run.point("unloaded"), run.point("loaded")
        if status_cell(run) or alone is None or loaded is None:
            rows.append((run.contender, *[status_cell(run) or "–"] + ["–"] * 6))
            continue
        a99, l99 = alone.median("latency_p99_ms"), loaded.median("latency_p99_ms")
        heavy = [r.background.req_per_s for r in loaded.runs if r.background is not None]
        rows.append(
            (
                run.contender,
                str(loaded.params.get("heavy_n", "")),
                figure(alone, "latency_p50_ms", fmt.ms),
                figure(alone, "latency_p99_ms", fmt.ms),
                figure(loaded, "latency_p50_ms", fmt.ms),
                figure(loaded, "latency_p99_ms", fmt.ms),
                f"{l99 / a99:.2f}x" if a99 and l99 is not None else "–",
                _heavy_cell(heavy),
            )
        )
    return Table(title(scenario), header, tuple(rows), marks_notes(scenario))


def _heavy_cell(rates: list[float]) -> str:
    """The heavy stream's median 2xx rate; a stream none of whose requests finished says so."""
    if not rates:
        return "–"
    median = sorted(rates)[len(rates) // 2]
    return fmt.rate(median) if median > 0 else "none finished"


def contenders_table(doc: Document) -> Table:
    """What each contender is: language, version, artifact, and how it differs from the article."""
    rows = []
    for c in doc.contenders:
        art = c.artifact
        rows.append(
            (
                c.name,
                c.language,
                c.version or (c.reason and f"unavailable: {fmt.short(c.reason)}"),
                f"{fmt.size(float(art.bytes))}: {art.label}" if art else "–",
                c.differs_from_article or "faithful",
            )
        )
    return Table(
        "Contenders",
        ("Contender", "Language", "Version", "Artifact", "Differs from the article"),
        tuple(rows),
    )


def setup_lines(doc: Document) -> Sequence[str]:
    """Where and how: machine, pinning, tools, date; printed above the tables."""
    m = doc.machine
    pin = doc.pinning
    tools = ", ".join(f"{k} {v}" for k, v in doc.tools.items())
    return (
        f"Machine: {m.cpu_model}, {m.cores} cores, {m.os}, kernel {m.kernel}, {m.python}.",
        f"Pinning: server on cores {list(pin.server)}, "
        f"load generator on cores {list(pin.generator)}"
        + (" (shared: one core only)" if pin.shared else "")
        + ".",
        _protocol_line(doc),
        f"Tools: {tools}.",
        f"Run: {doc.created_utc}, `{' '.join(doc.command)}`."
        if doc.command
        else f"Run: {doc.created_utc}.",
    )


def _protocol_line(doc: Document) -> str:
    p = doc.protocol
    rounds = ", ".join(f"{k} {v}" for k, v in p.rounds.items())
    return (
        f"Protocol: interleaved rounds in random order (seed {p.seed}; rounds: {rounds}); "
        f"baseline {p.baseline or 'the fastest article server per point'}"
        + ("; A/A calibrated" if p.calibrate else "")
        + ("; disturbed trials repeated (--strict)" if p.strict else "")
        + f"; servers {p.servers}."
    )
