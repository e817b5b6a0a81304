"""The cores scenario's table: req/s per server core count, scaling, parallelism (pure)."""

from __future__ import annotations

from primebench.lab.model.results import ContenderRun, ScenarioRecord
from primebench.lab.render import units as fmt
from primebench.lab.render.comparisons import comparison_cell
from primebench.lab.render.footnotes import marks_notes
from primebench.lab.render.table import Table
from primebench.lab.render.tables import status_cell, title

__all__ = ["GENERATOR_SHARE_FLAG", "cores_scaling", "cores_table", "efficiency"]


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
                cells.append(point.status if point else (status_cell(run) or "–"))
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
        f"{title(scenario)}: req/s by server cores",
        (
            "Contender",
            *[f"{n} core{'s' if n > 1 else ''}" for n in counts],
            "Parallelism",
            "Generator CPU (max, of one core)",
        ),
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
            *marks_notes(scenario),
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
            parts.append(f"{p.cores}c: {p.processes}p/{p.threads}t")
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
