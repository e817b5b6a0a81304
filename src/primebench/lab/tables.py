"""Tables built from a results document: the one model both reports render (pure functions).

Markdown and HTML show the same cells, so the cells are computed once here: the
article's table (one column per contender), the article's claims beside what was
measured, one table per scenario, the contenders, and the failures. A figure is a
median over measured runs; its spread is shown when there were several runs, and a
generator-bound figure is marked, because it measured the tool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from primebench.lab import units as fmt
from primebench.lab.results import ContenderRun, Document, PointRecord, ScenarioRecord

__all__ = [
    "CLAIMS",
    "Table",
    "answer_counts",
    "claims_table",
    "contenders_table",
    "headline_table",
    "scenario_tables",
]

BOUND_MARK = "†"
SPREAD_MARK = "~"
NON_2XX_MARK = "‡"

#: The article's table as printed (M4 MacBook Pro; not reproducible as stated), by seed contender.
CLAIMS: dict[str, dict[str, str]] = {
    "node-seed": {
        "label": "Node.js (v22)",
        "Requests/Sec": "~1,200",
        "Latency (Avg)": "85ms",
        "Throughput": "1.1 MB/s",
        "Artifact size": "N/A (Requires Runtime)",
    },
    "go-seed": {
        "label": "Go (v1.24)",
        "Requests/Sec": "~18,500",
        "Latency (Avg)": "5ms",
        "Throughput": "14 MB/s",
        "Artifact size": "~12MB",
    },
    "rust-axum": {
        "label": "Rust (Axum)",
        "Requests/Sec": "~24,000",
        "Latency (Avg)": "2ms",
        "Throughput": "19 MB/s",
        "Artifact size": "~4MB",
    },
}


@dataclass(frozen=True)
class Table:
    """A titled grid of text cells, with notes printed under it."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


def _figure(point: PointRecord, metric: str, render: fmt.Render, spread: bool = False) -> str:
    summary = point.summary.get(metric)
    if summary is None:
        return "–"
    text = render(summary.median)
    if spread and summary.count > 1:
        text += f" ±{summary.spread * 100:.0f}%"
    if summary.high_spread:
        text += SPREAD_MARK
    if metric == "req_per_s" and point.generator_bound:
        text += BOUND_MARK
    if metric == "req_per_s" and answer_counts(point)[1]:
        text += NON_2XX_MARK
    return text


def answer_counts(point: PointRecord) -> tuple[int, int]:
    """(answers, non-2xx answers) over the point's successful measured runs."""
    loads = [r.load for r in point.runs if r.status == "ok" and r.load is not None]
    return sum(x.requests for x in loads), sum(x.non_2xx for x in loads)


def _status_cell(run: ContenderRun | None) -> str | None:
    """The cell for a contender without figures, or None when it has figures."""
    if run is None:
        return "not run"
    if run.status == "unavailable":
        return "unavailable"
    if run.status != "ok" and not any(p.status == "ok" for p in run.points):
        return "failed"
    return None


def _first_ok(run: ContenderRun) -> PointRecord | None:
    return next((p for p in run.points if p.status == "ok"), None)


HEADLINE_ROWS: tuple[tuple[str, str, fmt.Render, bool], ...] = (
    ("Requests/Sec", "req_per_s", fmt.rate, True),
    ("Latency (Avg)", "latency_avg_ms", fmt.ms, False),
    ("Latency (p50)", "latency_p50_ms", fmt.ms, False),
    ("Latency (p99)", "latency_p99_ms", fmt.ms, False),
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
            status = _status_cell(run)
            point = None if run is None or status else _first_ok(run)
            cells.append(status or (_figure(point, metric, render, spread) if point else "failed"))
        rows.append((label, *cells))
    artifact = []
    for name in names:
        info = doc.contender(name)
        art = info.artifact if info else None
        artifact.append(fmt.size(float(art["bytes"])) + f" ({art['kind']})" if art else "–")
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
        point = _first_ok(run) if run is not None and not _status_cell(run) else None
        memory.append(_figure(point, "server_peak_rss_bytes", fmt.size) if point else "–")
    rows.append(("Memory (peak RSS)", *memory))
    return Table(
        f"{scenario.name}: {scenario.settings.get('description', '')}".strip(),
        ("Metric", *names),
        tuple(rows),
        _marks_notes(scenario),
    )


def _marks_notes(scenario: ScenarioRecord) -> tuple[str, ...]:
    notes = []
    if any(p.generator_bound for r in scenario.results for p in r.points):
        notes.append(
            f"{BOUND_MARK} generator-bound: the load generator used up its cores (or was "
            "starved on them by other processes): this figure is the tool's limit, not the server's."
        )
    if any(s.high_spread for r in scenario.results for p in r.points for s in p.summary.values()):
        notes.append(
            f"{SPREAD_MARK} high spread between runs (MAD > 5% of the median): treat as approximate."
        )
    refused = {
        r.contender: answer_counts(p)
        for r in scenario.results
        for p in r.points
        if answer_counts(p)[1]
    }
    if refused:
        which = ", ".join(f"{name} {bad:,} of {total:,}" for name, (total, bad) in refused.items())
        notes.append(
            f"{NON_2XX_MARK} non-2xx answers ({which}): req/s counts only 2xx answers; latency "
            "and throughput include every answer, so fast refusals (503) make them look good."
        )
    noisy = {
        r.contender: max(x.server_cores_foreign or 0.0 for x in p.runs)
        for r in scenario.results
        for p in r.points
        if any(x.noisy for x in p.runs)
    }
    if noisy:
        worst = ", ".join(f"{name} {share * 100:.0f}%" for name, share in noisy.items())
        notes.append(
            "noisy machine: other processes used a share of the server's cores during runs of "
            f"{worst} (worst run); those figures understate the server."
        )
    restarted = {
        r.contender: n
        for r in scenario.results
        if (n := sum(x.restarted_after for p in r.points for x in (*p.runs, p.warmup) if x))
    }
    if restarted:
        which = ", ".join(f"{name} ({n}x)" for name, n in restarted.items())
        notes.append(
            f"restarted between runs: {which}: still working off the requests a finished run "
            "had left queued when the settle deadline passed (--settle-timeout)."
        )
    for run in scenario.results:
        if run.status not in ("ok",):
            notes.append(f"{run.contender}: {run.status}: {fmt.short(run.reason)}")
        for point in run.points:
            if point.status != "ok" and run.status == "ok":
                notes.append(
                    f"{run.contender} {point.label}: {point.status}: {fmt.short(point.reason)}"
                )
    return tuple(notes)


def claims_table(doc: Document, scenario: ScenarioRecord | None) -> Table:
    """The article's claimed figures, marked as claims, beside what the same logic did here."""
    header = (
        "Metric",
        *[f"{c['label']} (claimed)" for c in CLAIMS.values()],
        *[f"{name} (measured)" for name in CLAIMS],
    )
    rows = []
    for label, metric, render in (
        ("Requests/Sec", "req_per_s", fmt.rate),
        ("Latency (Avg)", "latency_avg_ms", fmt.ms),
        ("Throughput", "throughput_bytes_per_s", fmt.bytes_per_s),
    ):
        measured = []
        for name in CLAIMS:
            run = scenario.result(name) if scenario else None
            point = _first_ok(run) if run is not None and not _status_cell(run) else None
            measured.append(_figure(point, metric, render) if point else (_status_cell(run) or "–"))
        rows.append((label, *[c[label] for c in CLAIMS.values()], *measured))
    sizes = []
    for name in CLAIMS:
        info = doc.contender(name)
        sizes.append(fmt.size(float(info.artifact["bytes"])) if info and info.artifact else "–")
    rows.append(("Artifact size", *[c["Artifact size"] for c in CLAIMS.values()], *sizes))
    return Table(
        "The article's claims (not measured here) beside the same logic measured here",
        header,
        tuple(rows),
        (
            (
                "Claimed: the article's own table (M4 MacBook Pro, autocannon -c 100 -d 10, "
                "n=20000). Measured: this run's article scenario on this machine."
            ),
        ),
    )


def _single_point_table(scenario: ScenarioRecord) -> Table:
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
        point = _first_ok(run) if not _status_cell(run) else None
        if point is None:
            rows.append((run.contender, _status_cell(run) or "failed", *["–"] * 8))
            continue
        rows.append(
            (
                run.contender,
                _figure(point, "req_per_s", fmt.rate, spread=True),
                *[
                    _figure(point, f"latency_{p}_ms", fmt.ms)
                    for p in ("avg", "p50", "p90", "p99", "max")
                ],
                _failures(point),
                _figure(point, "cpu_s_per_request", fmt.cpu_per_request),
                _figure(point, "server_peak_rss_bytes", fmt.size),
            )
        )
    return Table(_title(scenario), header, tuple(rows), _marks_notes(scenario))


def _failures(point: PointRecord) -> str:
    runs = [r for r in point.runs if r.status == "ok" and r.load is not None]
    errors = sum(r.load.errors for r in runs if r.load)
    timeouts = sum(r.load.timeouts for r in runs if r.load)
    non_2xx = sum(r.load.non_2xx for r in runs if r.load)
    return f"{errors}/{timeouts}/{non_2xx}"


def _title(scenario: ScenarioRecord) -> str:
    s = scenario.settings
    return (
        f"{scenario.name}: {s.get('description', '')} "
        f"({s.get('generator')}, {s.get('connections')} connections, {s.get('duration_s')} s x "
        f"{s.get('runs')} runs, warm-up {s.get('warmup_s')} s)"
    )


def _grid_table(scenario: ScenarioRecord, metric: str, render: fmt.Render, what: str) -> Table:
    keys: list[str] = []
    for run in scenario.results:
        keys += [p.key for p in run.points if p.key not in keys]
    rows = []
    for run in scenario.results:
        status = _status_cell(run)
        cells = []
        for key in keys:
            found = run.point(key)
            if status or found is None:
                cells.append(status or "–")
            elif found.status != "ok":
                cells.append(found.status)
            else:
                cells.append(_figure(found, metric, render))
        rows.append((run.contender, *cells))
    return Table(
        f"{_title(scenario)}: {what}", ("Contender", *keys), tuple(rows), _marks_notes(scenario)
    )


def _convoy_table(scenario: ScenarioRecord) -> Table:
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
        if _status_cell(run) or alone is None or loaded is None:
            rows.append((run.contender, *[_status_cell(run) or "–"] + ["–"] * 6))
            continue
        a99, l99 = alone.median("latency_p99_ms"), loaded.median("latency_p99_ms")
        heavy = [r.background.req_per_s for r in loaded.runs if r.background is not None]
        rows.append(
            (
                run.contender,
                str(loaded.params.get("heavy_n", "")),
                _figure(alone, "latency_p50_ms", fmt.ms),
                _figure(alone, "latency_p99_ms", fmt.ms),
                _figure(loaded, "latency_p50_ms", fmt.ms),
                _figure(loaded, "latency_p99_ms", fmt.ms),
                f"{l99 / a99:.2f}x" if a99 and l99 is not None else "–",
                _heavy_cell(heavy),
            )
        )
    return Table(_title(scenario), header, tuple(rows), _marks_notes(scenario))


def _heavy_cell(rates: list[float]) -> str:
    """The heavy stream's median 2xx rate; a stream none of whose requests finished says so."""
    if not rates:
        return "–"
    median = sorted(rates)[len(rates) // 2]
    return fmt.rate(median) if median > 0 else "none finished"


def scenario_tables(scenario: ScenarioRecord) -> list[Table]:
    """The detail tables of one scenario, in the shape that fits its points."""
    if scenario.name == "convoy":
        return [_convoy_table(scenario)]
    if scenario.name == "sweep":
        return [
            _grid_table(scenario, "req_per_s", fmt.rate, "req/s by n"),
            _grid_table(scenario, "latency_p99_ms", fmt.ms, "p99 latency by n"),
        ]
    if scenario.name == "rate":
        return [
            _grid_table(
                scenario, "latency_p99_ms", fmt.ms, "p99 latency (corrected) by offered rate"
            ),
            _grid_table(scenario, "req_per_s", fmt.rate, "achieved req/s by offered rate"),
        ]
    return [_single_point_table(scenario)]


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
                f"{fmt.size(float(art['bytes']))}: {art['label']}" if art else "–",
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
        (
            f"Machine: {m.get('cpu_model')}, {m.get('cores')} cores, {m.get('os')}, "
            f"kernel {m.get('kernel')}, {m.get('python')}."
        ),
        f"Pinning: server on cores {pin.get('server')}, load generator on cores {pin.get('generator')}"
        + (" (shared: one core only)" if pin.get("shared") else "")
        + ".",
        f"Tools: {tools}.",
        f"Run: {doc.created_utc}, `{' '.join(doc.command)}`."
        if doc.command
        else f"Run: {doc.created_utc}.",
    )
