"""Tables built from a results document: the one model both reports render (pure functions).

Markdown and HTML show the same cells, so the cells are computed once here: the
article's table (one column per contender), the article's claims beside what was
measured, one table per scenario, the contenders, and the failures. A figure is a
median over measured runs; its spread is shown when there were several runs, and a
generator-bound figure is marked, because it measured the tool.
"""

from __future__ import annotations

from collections.abc import Sequence

from primebench.lab.model.results import ContenderRun, Document, PointRecord, ScenarioRecord
from primebench.lab.render import units as fmt
from primebench.lab.render.comparisons import aa_cell, comparison_cell
from primebench.lab.render.table import Table

__all__ = [
    "Table",
    "answer_counts",
    "contenders_table",
    "convoy_table",
    "figure",
    "first_ok",
    "grid_table",
    "headline_table",
    "marks_notes",
    "single_point_table",
    "status_cell",
    "title",
]

BOUND_MARK = "†"
AA_MARK = "#aa"  # protocol.AA_SUFFIX: the A/A twin is the same program
NON_2XX_MARK = "‡"
ALGORITHM_MARK = "§"


def figure(point: PointRecord, metric: str, render: fmt.Render, spread: bool = False) -> str:
    """The median; with `spread`, the range of the trials beside it (never a MAD of three)."""
    summary = point.summary.get(metric)
    if summary is None:
        return "–"
    text = render(summary.median)
    if spread and summary.count > 1:
        text += f" ({render(summary.minimum)}–{render(summary.maximum)})"
    if metric == "req_per_s" and point.generator_bound:
        text += BOUND_MARK
    if metric == "req_per_s" and answer_counts(point)[1]:
        text += NON_2XX_MARK
    return text


def answer_counts(point: PointRecord) -> tuple[int, int]:
    """(answers, non-2xx answers) over the point's successful measured runs."""
    loads = [r.load for r in point.runs if r.status == "ok" and r.load is not None]
    return sum(x.requests for x in loads), sum(x.non_2xx for x in loads)


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


HEADLINE_ROWS: tuple[tuple[str, str, fmt.Render, bool], ...] = (
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
    rows.append(("Algorithm", *[_algorithm(n) for n in names]))
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


#: Contenders that do not answer by the article's trial division, and how they do instead.
#: (Until the manifests carry an `algorithm` field: a row beside trial-division rows must
#: say that it answers from a table, or a reader compares a lookup with a computation.)
ALGORITHMS = {
    "primebench": "differs: a sieved prime table, then primecount; no trial division",
}


def _algorithm(name: str) -> str:
    """The article's trial division, or what the contender does instead (said, never hidden)."""
    base = name.split(AA_MARK)[0]
    return ALGORITHMS.get(base, "trial division, as the article")


def _versus(scenario: ScenarioRecord, name: str) -> str:
    first = next((c for c in scenario.comparisons if c.comparison.contender == name), None)
    if first is not None:
        return aa_cell(first) if first.aa else comparison_cell(first)
    if any(c.comparison.baseline == name for c in scenario.comparisons):
        return "baseline"
    return "–"


def marks_notes(scenario: ScenarioRecord) -> tuple[str, ...]:
    notes = []
    if any(p.generator_bound for r in scenario.results for p in r.points):
        notes.append(
            f"{BOUND_MARK} generator-bound: the load generator used up its cores (or was "
            "starved on them by other processes): this figure is the tool's limit, not the server's."
        )
    disturbed = {
        r.contender: n
        for r in scenario.results
        if (n := sum(x.disturbed for p in r.points for x in p.runs))
    }
    if disturbed:
        which = ", ".join(f"{name} {n}" for name, n in disturbed.items())
        notes.append(
            f"disturbed trials (CPU steal or other processes > 10% of the cores used): {which}"
            "; with --strict they are measured again (kind 'repeated' in the document)."
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


def single_point_table(scenario: ScenarioRecord) -> Table:
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
            rows.append((_named(run.contender), status_cell(run) or "failed", *["–"] * 8))
            continue
        rows.append(
            (
                _named(run.contender),
                figure(point, "req_per_s", fmt.rate, spread=True),
                *[
                    figure(point, f"latency_{p}_ms", fmt.ms)
                    for p in ("avg", "p50", "p90", "p99", "max")
                ],
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
        *_algorithm_notes(scenario),
        *marks_notes(scenario),
    )
    return Table(title(scenario), header, tuple(rows), notes)


def _named(name: str) -> str:
    """The contender's name, marked when it does not run the article's algorithm."""
    return name + (f" {ALGORITHM_MARK}" if name.split(AA_MARK)[0] in ALGORITHMS else "")


def _algorithm_notes(scenario: ScenarioRecord) -> list[str]:
    return [
        f"{ALGORITHM_MARK} {run.contender}: {ALGORITHMS[run.contender]}."
        for run in scenario.results
        if run.contender in ALGORITHMS
    ]


def _failures(point: PointRecord) -> str:
    runs = [r for r in point.runs if r.kind == "measured" and r.load is not None]
    errors = sum(r.load.errors for r in runs if r.load)
    timeouts = sum(r.load.timeouts for r in runs if r.load)
    non_2xx = sum(r.load.non_2xx for r in runs if r.load)
    return f"{errors}/{timeouts}/{non_2xx}"


def title(scenario: ScenarioRecord) -> str:
    s = scenario.settings
    return (
        f"{scenario.name}: {s.get('description', '')} "
        f"({s.get('generator')}, {s.get('connections')} connections, {s.get('duration_s')} s x "
        f"{s.get('rounds')} rounds, warm-up {s.get('warmup_s')} s)"
    )


def grid_table(scenario: ScenarioRecord, metric: str, render: fmt.Render, what: str) -> Table:
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
