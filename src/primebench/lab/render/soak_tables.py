"""The soak's tables and chart, pure functions of its scenario record.

Per contender, one row per window (req/s, p50/p99/max of completed requests, errors,
non-2xx, timeouts, RSS by role at the window's end), then one table of memory slopes
(MiB per 10,000 requests after warm-up, per process and for the whole tree) for every
contender side by side, with a flag above `memory_slope.FLAG_MIB_PER_10K`; and a chart
of each process's RSS over time.
"""

from __future__ import annotations

from primebench.lab.model import memory_slope as ms
from primebench.lab.model.results import ScenarioRecord
from primebench.lab.model.vocabulary import ProcessRole
from primebench.lab.render import units as fmt
from primebench.lab.render.svg import Series, linear_chart
from primebench.lab.render.table import Table

__all__ = ["FLAG", "clock", "rss_chart", "slope_table", "window_tables"]

FLAG = "⚠ grows"
ROLES: tuple[ProcessRole, ...] = ("main", "worker", "pool", "helper")


def clock(seconds: float) -> str:
    """Time into the soak, `m:ss` (`90:00` after an hour and a half)."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _mib(value: float) -> str:
    return f"{value:,.1f} MiB"


def _or_dash(value: float | None, render: fmt.Render) -> str:
    return "–" if value is None else render(value)


def window_tables(record: ScenarioRecord) -> list[Table]:
    """One table per contender that has windows: a row per window."""
    tables = []
    for run in record.results:
        found = ms.windows(run)
        if not found:
            continue
        roles = [r for r in ROLES if any(w.rss_of(r) for w in found)]
        rows = tuple(
            (
                f"{w.index + 1}{' (warm-up)' if w.warmup else ''}"
                + (" (server restarted after it)" if w.restarted else ""),
                clock(w.end_s),
                _or_dash(w.req_per_s, fmt.rate),
                _or_dash(w.p50_ms, fmt.ms),
                _or_dash(w.p99_ms, fmt.ms),
                _or_dash(w.max_ms, fmt.ms),
                f"{w.errors} / {w.non_2xx} / {w.timeouts}",
                f"{w.cumulative:,}",
                *(_mib(w.rss_of(r) / ms.MIB) for r in roles),
            )
            for w in found
        )
        header = (
            "Window",
            "End (m:ss)",
            "req/s (2xx)",
            "p50",
            "p99",
            "max",
            "errors / non-2xx / timeouts",
            "requests so far",
            *(f"RSS {r}" for r in roles),
        )
        notes = (
            (
                "Latency of completed requests, corrected for coordinated omission (oha -q); "
                "RSS summed over the processes of each role at the window's end."
            ),
        )
        tables.append(Table(f"soak: {run.contender}, window by window", header, rows, notes))
    return tables


def slope_table(record: ScenarioRecord) -> Table | None:
    """Every contender's memory slopes after warm-up, per process and for the tree."""
    rows = []
    for run in record.results:
        for s in ms.memory_slopes(run.contender, ms.windows(run)):
            interval = "" if s.low is None or s.high is None else f" [{s.low:+.2f}, {s.high:+.2f}]"
            slope = "too few windows" if s.slope is None else f"{s.slope:+.2f}{interval}"
            rows.append(
                (
                    run.contender,
                    s.role,
                    "tree" if s.pid is None else str(s.pid),
                    str(s.samples),
                    f"{_mib(s.first_mib)} → {_mib(s.last_mib)}",
                    slope,
                    FLAG if s.flagged else "",
                )
            )
    if not rows:
        return None
    notes = (
        (
            "Slope: Theil-Sen (median of pairwise slopes) of RSS against requests answered, "
            "over the windows after warm-up, in MiB per 10,000 requests, with its 95 % interval."
        ),
        f"{FLAG}: a slope above {ms.FLAG_MIB_PER_10K} MiB per 10,000 requests.",
    )
    header = ("Contender", "Role", "Process", "Windows", "RSS", "MiB / 10k requests", "Flag")
    return Table("soak: memory slope after warm-up", header, tuple(rows), notes)


def rss_chart(record: ScenarioRecord) -> list[str]:
    """Each process's RSS (MiB) against the time of each window's end (minutes)."""
    series = []
    for run in record.results:
        by_pid: dict[int, list[tuple[float, float]]] = {}
        roles: dict[int, str] = {}
        for w in ms.windows(run):
            for p in w.processes:
                by_pid.setdefault(p.pid, []).append((w.end_s / 60, p.rss_bytes / ms.MIB))
                roles[p.pid] = p.role
        series += [
            Series(f"{run.contender} {roles[pid]} {pid}", tuple(points))
            for pid, points in by_pid.items()
        ]
    if not series:
        return []
    title = "soak: RSS of every server process over time"
    return [linear_chart(title, series, "minutes", "RSS MiB")]
