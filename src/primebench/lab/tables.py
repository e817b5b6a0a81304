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
from primebench.lab.results import (
    ContenderRun,
    Document,
    PointComparison,
    PointRecord,
    ScenarioRecord,
)

__all__ = [
    "CLAIMS",
    "Table",
    "answer_counts",
    "claims_table",
    "comparisons_table",
    "contenders_table",
    "convoy_table",
    "cores_table",
    "grid_table",
    "headline_table",
    "single_point_table",
]

BOUND_MARK = "†"
AA_MARK = "#aa"  # protocol.AA_SUFFIX: the A/A twin is the same program
NON_2XX_MARK = "‡"
ALGORITHM_MARK = "§"

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
            status = _status_cell(run)
            point = None if run is None or status else _first_ok(run)
            cells.append(status or (_figure(point, metric, render, spread) if point else "failed"))
        rows.append((label, *cells))
    rows.append(("Errors/timeouts/non-2xx (all rounds)", *[_failures_cell(r) for r in runs]))
    rows.append(("Against the baseline (95 % CI)", *[_versus(scenario, n) for n in names]))
    rows.append(("Algorithm", *[_algorithm(n) for n in names]))
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


def _failures_cell(run: ContenderRun | None) -> str:
    if run is None or _status_cell(run):
        return "–"
    point = _first_ok(run)
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


def comparison_cell(found: PointComparison) -> str:
    """`0.93 [0.88, 0.99] slower`: ratio, interval, verdict."""
    c = found.comparison
    interval = (
        f" [{c.ci_low:.2f}, {c.ci_high:.2f}]"
        if c.ci_low is not None and c.ci_high is not None
        else " [no interval: < 3 rounds]"
    )
    return f"{c.ratio:.2f}{interval} {c.verdict.value}"


def aa_cell(found: PointComparison) -> str:
    """The A/A pair is the calibration, not a contest: say whether it contains 1."""
    c = found.comparison
    if c.ci_low is None or c.ci_high is None:
        return f"{c.ratio:.2f} [no interval: < 3 rounds] A/A: no noise floor"
    where = (
        "contains 1"
        if c.ci_low <= 1.0 <= c.ci_high
        else "excludes 1: the two instances drifted apart (a disturbed machine)"
    )
    return f"{c.ratio:.2f} [{c.ci_low:.2f}, {c.ci_high:.2f}] A/A {where}"


def _versus(scenario: ScenarioRecord, name: str) -> str:
    first = next((c for c in scenario.comparisons if c.comparison.contender == name), None)
    if first is not None:
        return aa_cell(first) if first.aa else comparison_cell(first)
    if any(c.comparison.baseline == name for c in scenario.comparisons):
        return "baseline"
    return "–"


def comparisons_table(scenario: ScenarioRecord) -> Table | None:
    """Every comparison of the scenario: point, arm, baseline, ratio with interval, verdict."""
    if not scenario.comparisons:
        return None
    rows = tuple(
        (
            c.point,
            c.comparison.contender + (" (A/A)" if c.aa else ""),
            c.comparison.baseline,
            c.comparison.metric,
            " ".join(f"{r:.3f}" for r in c.comparison.per_round),
            aa_cell(c) if c.aa else comparison_cell(c),
        )
        for c in scenario.comparisons
    )
    notes = [
        (
            "Ratio: geometric mean of the per-round paired ratios (arm / baseline), with its "
            "95 % bootstrap interval over rounds. A difference is claimed only when the "
            "interval excludes 1 and exceeds the A/A noise floor."
        )
    ]
    for point, width in scenario.noise.items():
        notes.append(f"{point}: A/A noise floor ±{width * 100:.1f}%.")
    if scenario.smallest_resolvable is not None:
        notes.append(
            f"Smallest difference this run could resolve: {scenario.smallest_resolvable * 100:.1f}%."
        )
    return Table(
        f"{scenario.name}: comparisons against the baseline",
        ("Point", "Arm", "Baseline", "Metric", "Per-round ratios", "Ratio [95 % CI] verdict"),
        rows,
        tuple(notes),
    )


def _marks_notes(scenario: ScenarioRecord) -> tuple[str, ...]:
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
        point = _first_ok(run) if not _status_cell(run) else None
        if point is None:
            rows.append((_named(run.contender), _status_cell(run) or "failed", *["–"] * 8))
            continue
        rows.append(
            (
                _named(run.contender),
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
    notes = (
        (
            "req/s: median (min–max of the rounds). Latency covers completed requests only; "
            "what did not complete is counted in errors/timeouts/non-2xx (summed over rounds)."
        ),
        *_algorithm_notes(scenario),
        *_marks_notes(scenario),
    )
    return Table(_title(scenario), header, tuple(rows), notes)


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


def _title(scenario: ScenarioRecord) -> str:
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
        _protocol_line(doc),
        f"Tools: {tools}.",
        f"Run: {doc.created_utc}, `{' '.join(doc.command)}`."
        if doc.command
        else f"Run: {doc.created_utc}.",
    )


def _protocol_line(doc: Document) -> str:
    p = doc.protocol
    rounds = ", ".join(f"{k} {v}" for k, v in dict(p.get("rounds", {})).items())
    return (
        f"Protocol: interleaved rounds in random order (seed {p.get('seed')}; rounds: {rounds}); "
        f"baseline {p.get('baseline') or 'the fastest article server per point'}"
        + ("; A/A calibrated" if p.get("calibrate") else "")
        + ("; disturbed trials repeated (--strict)" if p.get("strict") else "")
        + f"; servers {p.get('servers', '')}."
    )


def cores_scaling(scenario: ScenarioRecord) -> dict[str, dict[int, tuple[float, float, float]]]:
    """Per arm: cores -> (median, min, max) req/s, from the cores scenario's points."""
    found: dict[str, dict[int, tuple[float, float, float]]] = {}
    for run in scenario.results:
        for point in run.points:
            s = point.summary.get("req_per_s")
            cores = point.params.get("cores")
            if s is not None and isinstance(cores, int):
                found.setdefault(run.contender, {})[cores] = (s.median, s.minimum, s.maximum)
    return found


def efficiency(curve: dict[int, tuple[float, float, float]], cores: int) -> float | None:
    """req/s at N cores over N x req/s at 1 core (1.0: perfect scaling)."""
    one, at = curve.get(1), curve.get(cores)
    if one is None or at is None or one[0] <= 0:
        return None
    return at[0] / (cores * one[0])


def cores_table(scenario: ScenarioRecord) -> Table:
    """req/s (median, min–max of rounds) per server core count, scaling efficiency, generator share."""
    counts = [int(c) for c in scenario.settings.get("server_cores", [])]
    curves = cores_scaling(scenario)
    rows = []
    for run in scenario.results:
        curve = curves.get(run.contender, {})
        cells = []
        for n in counts:
            if n not in curve:
                point = run.point(f"cores={n}")
                cells.append(point.status if point else (_status_cell(run) or "–"))
                continue
            med, lo, hi = curve[n]
            eff = efficiency(curve, n)
            cells.append(
                f"{fmt.rate(med)} ({fmt.rate(lo)}–{fmt.rate(hi)})"
                + (f", eff {eff:.2f}" if eff is not None and n > 1 else "")
                + _scaling_interval(scenario, run.contender, n)
            )
        rows.append((run.contender, *cells, _parallelism_cell(run), _generator_cell(run)))
    return Table(
        f"{_title(scenario)}: req/s by server cores",
        ("Contender", *[f"{n} core{'s' if n > 1 else ''}" for n in counts], "Parallelism",
         "Generator CPU (max, of one core)"),
        tuple(rows),
        (
            (
                "eff: scaling efficiency, req/s at N cores / (N x req/s at 1 core); xR [lo, hi]: "
                "the ratio to one core by round with its 95 % interval (the core counts ran "
                "one after the other, so a drift between them is not cancelled)."
            ),
            (
                "Where the generator has no core of its own it shares the server's; a generator "
                f"above {GENERATOR_SHARE_FLAG * 100:.0f}% of a core is flagged (!), since it "
                "then competes with the server."
            ),
            *_marks_notes(scenario),
        ),
    )


def _scaling_interval(scenario: ScenarioRecord, name: str, cores: int) -> str:
    """`; vs 1 core x1.97 [1.90, 2.05] faster`: the paired ratio to one core and its interval."""
    wanted = f"{name} @ cores={cores}"
    found = next((c for c in scenario.comparisons if c.comparison.contender == wanted), None)
    return f"; vs 1 core x{comparison_cell(found)}" if found else ""


#: A generator sharing the server's cores above this share of one core competes with it.
GENERATOR_SHARE_FLAG = 0.05


def _parallelism_cell(run: ContenderRun) -> str:
    parts = []
    for point in run.points:
        p = point.parallelism
        if p:
            parts.append(f"{p.get('cores')}c: {p.get('processes')}p/{p.get('threads')}t")
    return ", ".join(parts) or "–"


def _generator_cell(run: ContenderRun) -> str:
    parts = []
    for point in run.points:
        shares = [r.generator_share for r in point.runs if r.generator_share is not None]
        if not shares:
            continue
        worst = max(shares)
        shared = any(r.cpus_overlap for r in point.runs)
        flag = "!" if shared and worst > GENERATOR_SHARE_FLAG else ""
        parts.append(
            f"{point.params.get('cores')}c{' shared' if shared else ''}: {worst * 100:.1f}%{flag}"
        )
    return ", ".join(parts) or "–"
