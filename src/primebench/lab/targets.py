"""The performance targets P1-P4 (README, "Targets"), judged from a results document (`--check`).

Each target is data: an id, the scenario it needs, a threshold and a pure function
from the document to a measured value (or the reason there is none). Adding P5/P6 is
appending to `TARGETS`. A throughput ratio only counts when neither side was
generator-bound: such a run measured the load generator, not the server.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from primebench.lab.results import Document, PointRecord

__all__ = ["TARGETS", "Target", "Unmeasured", "Verdict", "VerdictStatus", "check", "exit_code"]

P4_HEAVY_N = 10**12


class Unmeasured(Exception):
    """The document cannot give this target's value; the message says why."""


class VerdictStatus(StrEnum):
    PASS = "pass"
    MISS = "miss"
    UNMEASURED = "unmeasured"  # its scenario ran, but the value cannot be trusted or is absent
    SKIPPED = "skipped"  # its scenario is not in this document


@dataclass(frozen=True)
class Target:
    """`value(doc) <op> threshold` must hold; `scenario` must be in the document to judge it."""

    id: str
    scenario: str
    description: str
    op: str  # ">=" or "<="
    threshold: float
    value: Callable[[Document], float]


@dataclass(frozen=True)
class Verdict:
    target: Target
    status: VerdictStatus
    value: float | None
    detail: str

    def line(self) -> str:
        """One line for the terminal: `P1 pass  python-jit/rust-axum req/s = 1.08 (>= 1)`."""
        t = self.target
        value = "" if self.value is None else f" = {self.value:.3g}"
        detail = f": {self.detail}" if self.detail else ""
        return f"{t.id} {self.status.value:<10} {t.description}{value} (target {t.op} {t.threshold:g}){detail}"


def _point(doc: Document, scenario: str, contender: str, key: str | None = None) -> PointRecord:
    record = doc.scenario(scenario)
    if record is None:
        raise Unmeasured(f"scenario {scenario} not in the document")
    run = record.result(contender)
    if run is None:
        raise Unmeasured(f"{contender} not measured in {scenario}")
    if run.status != "ok":
        raise Unmeasured(f"{contender} {run.status} in {scenario}: {run.reason}")
    point = run.point(key) if key else (run.points[0] if run.points else None)
    if point is None or point.status != "ok":
        raise Unmeasured(
            f"{contender}: no measured point {key or ''} in {scenario}".replace("  ", " ")
        )
    return point


def throughput_ratio(scenario: str, top: str, bottom: str) -> Callable[[Document], float]:
    """req/s of `top` over req/s of `bottom` in `scenario`; refuses generator-bound runs."""

    def value(doc: Document) -> float:
        a, b = _point(doc, scenario, top), _point(doc, scenario, bottom)
        bound = [name for name, p in ((top, a), (bottom, b)) if p.generator_bound]
        if bound:
            raise Unmeasured(
                f"generator-bound run for {', '.join(bound)}: re-run with a faster --generator"
            )
        ra, rb = a.median("req_per_s"), b.median("req_per_s")
        if not ra or not rb:
            raise Unmeasured("no req/s figure")
        return ra / rb

    return value


def convoy_ratio(contender: str, heavy_n: int = P4_HEAVY_N) -> Callable[[Document], float]:
    """Light-stream p99 beside the heavy stream over light-stream p99 alone, for `contender`."""

    def value(doc: Document) -> float:
        loaded = _point(doc, "convoy", contender, "loaded")
        unloaded = _point(doc, "convoy", contender, "unloaded")
        ran_with = int(loaded.params.get("heavy_n", 0))
        if ran_with < heavy_n:
            raise Unmeasured(
                f"heavy n was {ran_with}; the target is set at n={heavy_n} "
                f"(run with --heavy-n {contender}={heavy_n})"
            )
        a, b = loaded.median("latency_p99_ms"), unloaded.median("latency_p99_ms")
        if a is None or not b:
            raise Unmeasured("no light-stream p99")
        return a / b

    return value


TARGETS: tuple[Target, ...] = (
    Target(
        "P1",
        "article",
        "python-jit / rust-axum req/s at n=20000",
        ">=",
        1.0,
        throughput_ratio("article", "python-jit", "rust-axum"),
    ),
    Target(
        "P2",
        "article",
        "primebench / rust-axum req/s at n=20000",
        ">=",
        300.0,
        throughput_ratio("article", "primebench", "rust-axum"),
    ),
    Target(
        "P3",
        "floor",
        "primebench / go-seed req/s at n=1",
        ">=",
        1.0,
        throughput_ratio("floor", "primebench", "go-seed"),
    ),
    Target(
        "P4",
        "convoy",
        "primebench light p99 loaded / unloaded",
        "<=",
        2.0,
        convoy_ratio("primebench"),
    ),
)

_OPS = {">=": operator.ge, "<=": operator.le}


def check(doc: Document, targets: Sequence[Target] = TARGETS) -> list[Verdict]:
    """Judge every target against `doc` (pure)."""
    verdicts = []
    for target in targets:
        if doc.scenario(target.scenario) is None:
            verdicts.append(
                Verdict(target, VerdictStatus.SKIPPED, None, f"scenario {target.scenario} not run")
            )
            continue
        try:
            value = target.value(doc)
        except Unmeasured as exc:
            verdicts.append(Verdict(target, VerdictStatus.UNMEASURED, None, str(exc)))
            continue
        ok = _OPS[target.op](value, target.threshold)
        verdicts.append(
            Verdict(target, VerdictStatus.PASS if ok else VerdictStatus.MISS, value, "")
        )
    return verdicts


def exit_code(verdicts: Sequence[Verdict]) -> int:
    """0 only when something was judged and nothing missed or was unmeasurable; else 1."""
    judged = [v for v in verdicts if v.status is not VerdictStatus.SKIPPED]
    if not judged or any(v.status is not VerdictStatus.PASS for v in judged):
        return 1
    return 0
