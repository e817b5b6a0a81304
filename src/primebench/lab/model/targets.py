"""The performance targets P1-P6, judged by intervals (`bench --check`, `probe --check`).

A target is data: a threshold and a direction. It passes only when the whole interval of
its measured ratio clears the threshold, misses only when the whole interval falls short,
and is otherwise `inconclusive`: the run could not tell, which is neither a pass nor a
miss and has its own exit status. A point value (P6: the worst of every cold start, not a
median) is judged as an interval of zero width. Where a comparison carries an A/A noise
floor, a verdict also needs the ratio to be farther from the threshold than the noise
(relative), so no verdict rests on a difference the lab cannot tell from noise.

P3 has a second bar: its ratio must reach the threshold (1.2) *and* its interval's low
end a lower one (`low_end`, 1.1), so a ratio of 1.25 whose interval reaches down to 1.0
does not pass; it misses only when the whole interval falls short of the threshold.

A target that could not be measured is a `TargetResult` with no verdict and the reason:
failures are data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from primebench.lab.model.verdicts import MIN_ROUNDS, Comparison

__all__ = [
    "BARE_CORE",
    "EXIT_INCONCLUSIVE",
    "EXIT_MISS",
    "TARGETS",
    "Target",
    "TargetResult",
    "TargetVerdict",
    "exit_status",
    "judge",
    "judge_comparison",
    "judge_value",
]

EXIT_MISS = 1
EXIT_INCONCLUSIVE = 3
#: The contender that serves the floor's request as a bare app on the server core
#: primebench runs on (benchmarks/variants): P3-core's baseline, named once here.
BARE_CORE = "bare-httptools"


class TargetVerdict(StrEnum):
    PASS = "pass"
    MISS = "miss"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Target:
    """`value >= threshold` (at_least) or `value <= threshold` must hold; with `low_end`
    (at_least only), the interval's low end must also reach it."""

    id: str
    description: str
    threshold: float
    at_least: bool
    low_end: float | None = None

    @property
    def op(self) -> str:
        return ">=" if self.at_least else "<="

    def to_json(self) -> dict[str, object]:
        """`low_end` only when set: documents written before it round-trip unchanged."""
        return {
            "id": self.id,
            "description": self.description,
            "threshold": self.threshold,
            "at_least": self.at_least,
            **({} if self.low_end is None else {"low_end": self.low_end}),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Target:
        low_end = d.get("low_end")
        return cls(
            str(d["id"]),
            str(d["description"]),
            float(d["threshold"]),
            bool(d["at_least"]),
            None if low_end is None else float(low_end),
        )

    @property
    def bar(self) -> str:
        """`>= 1.2, interval's low end >= 1.1`: the condition, for a line of output."""
        low = "" if self.low_end is None else f", interval's low end >= {self.low_end:g}"
        return f"{self.op} {self.threshold:g}{low}"


TARGETS: dict[str, Target] = {
    t.id: t
    for t in (
        Target("P1", "python-jit / rust-axum req/s at n=20000 (article)", 1.0, True),
        Target("P2", "primebench / rust-axum req/s at n=20000 (article)", 300.0, True),
        Target(
            "P3",
            "primebench / go-seed req/s at n=1, at each of 16, 64, 100 and 256 connections (floor)",
            1.2,
            True,
            low_end=1.1,
        ),
        Target("P3b", "primebench / rust-axum req/s at n=1, at each count (floor)", 0.7, True),
        Target(
            "P3-core",
            f"primebench / {BARE_CORE}, the bare app on its server core, req/s at n=1, "
            "at each count (floor)",
            0.9,
            True,
        ),
        Target("P4", "primebench light p99 beside n=10^12 load / alone (convoy)", 2.0, False),
        Target("P5", "primebench /prime?n~10^12 latency / primecount alone, one core", 1.2, False),
        # Issue 21: 0.3 s with an empty table cache (a new pod), 0.2 s with a warm one (was
        # one bar of 0.5 s for both).
        Target(
            "P6", "start to first correct answer, worst cold start, empty cache (s)", 0.3, False
        ),
        Target(
            "P6-warm", "start to first correct answer, worst cold start, warm cache (s)", 0.2, False
        ),
        Target("P6-rss", "largest RSS of any server process after n~10^12 load (MiB)", 80.0, False),
    )
}


@dataclass(frozen=True)
class TargetResult:
    """A target's verdict with the figures it rests on; `verdict` None: not measured."""

    target: Target
    ratio: float | None  # the measured value (a ratio, or seconds / MiB for P6)
    ci_low: float | None
    ci_high: float | None
    verdict: TargetVerdict | None
    reason: str  # why this verdict (or why there is none)

    def line(self) -> str:
        """One terminal line: `P1 inconclusive  python-jit / ... = 1.01 [0.92, 1.10] (>= 1)`."""
        t = self.target
        status = self.verdict.value if self.verdict else "unmeasured"
        value = "" if self.ratio is None else f" = {self.ratio:.4g}"
        if self.ci_low is not None and self.ci_high is not None and self.ci_low != self.ci_high:
            value += f" [{self.ci_low:.4g}, {self.ci_high:.4g}]"
        reason = f": {self.reason}" if self.reason else ""
        target = f"(target {t.bar})"
        return f"{t.id} {status:<12} {t.description}{value} {target}{reason}"

    def to_json(self) -> dict[str, object]:
        return {
            "target": self.target.to_json(),
            "ratio": self.ratio,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "verdict": None if self.verdict is None else self.verdict.value,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TargetResult:
        def number(key: str) -> float | None:
            return None if d[key] is None else float(d[key])

        return cls(
            target=Target.from_json(d["target"]),
            ratio=number("ratio"),
            ci_low=number("ci_low"),
            ci_high=number("ci_high"),
            verdict=None if d["verdict"] is None else TargetVerdict(d["verdict"]),
            reason=str(d["reason"]),
        )


def judge(target: Target, low: float, high: float, ratio: float | None = None) -> TargetVerdict:
    """PASS when all of [low, high] meets the target, MISS when none of it does, else INCONCLUSIVE.

    With the target's `low_end`, PASS needs `ratio` (the interval's middle when None) to
    reach the threshold and `low` to reach `low_end`; MISS still needs the whole interval
    short of the threshold.
    """
    if low > high:
        raise ValueError(f"interval bounds reversed: [{low}, {high}]")
    if target.at_least and target.low_end is not None:
        value = (low + high) / 2 if ratio is None else ratio
        if value >= target.threshold and low >= target.low_end:
            return TargetVerdict.PASS
        return TargetVerdict.MISS if high < target.threshold else TargetVerdict.INCONCLUSIVE
    if target.at_least:
        if low >= target.threshold:
            return TargetVerdict.PASS
        return TargetVerdict.MISS if high < target.threshold else TargetVerdict.INCONCLUSIVE
    if high <= target.threshold:
        return TargetVerdict.PASS
    return TargetVerdict.MISS if low > target.threshold else TargetVerdict.INCONCLUSIVE


def judge_comparison(target: Target, c: Comparison | None, reason_if_missing: str) -> TargetResult:
    """The target judged by the interval of `c`'s ratio (None: not measured, for the reason)."""
    if c is None:
        return TargetResult(target, None, None, None, None, reason_if_missing)
    if c.ci_low is None or c.ci_high is None:
        reason = f"no interval from {len(c.per_round)} rounds (at least {MIN_ROUNDS} needed)"
        return TargetResult(target, c.ratio, None, None, TargetVerdict.INCONCLUSIVE, reason)
    verdict = judge(target, c.ci_low, c.ci_high, c.ratio)
    interval = f"the {c.confidence:.0%} interval [{c.ci_low:.4g}, {c.ci_high:.4g}]"
    low_end = target.low_end
    if (
        verdict is TargetVerdict.INCONCLUSIVE
        and low_end is not None
        and c.ratio >= target.threshold
    ):
        reason = (
            f"{c.ratio:.4g} reaches {target.threshold:g}, but {interval} reaches below {low_end:g}"
        )
    elif verdict is TargetVerdict.INCONCLUSIVE:
        reason = f"{interval} straddles {target.threshold:g}"
    else:
        reason = ""
        distance = abs(c.ratio / target.threshold - 1.0)
        if c.noise_halfwidth is not None and distance <= c.noise_halfwidth:
            side = "clears" if verdict is TargetVerdict.PASS else "misses"
            verdict = TargetVerdict.INCONCLUSIVE
            reason = (
                f"{interval} {side} {target.threshold:g}, but by {distance:.1%}, within the "
                f"A/A noise floor of {c.noise_halfwidth:.1%}"
            )
    return TargetResult(target, c.ratio, c.ci_low, c.ci_high, verdict, reason)


def judge_value(target: Target, value: float | None, reason: str) -> TargetResult:
    """A target judged on one value (a worst case): an interval of zero width."""
    if value is None:
        return TargetResult(target, None, None, None, None, reason)
    return TargetResult(target, value, value, value, judge(target, value, value), reason)


def exit_status(results: Sequence[TargetResult]) -> int:
    """0 when every target passed; 1 on any miss; 3 when the rest passed but some were inconclusive.

    A target that could not be measured counts as a miss, and so does an empty list: a
    check that judged nothing must not look like a pass or a mere lack of precision.
    """
    if not results:
        return EXIT_MISS
    verdicts = [r.verdict for r in results]
    if any(v is None or v is TargetVerdict.MISS for v in verdicts):
        return EXIT_MISS
    if any(v is TargetVerdict.INCONCLUSIVE for v in verdicts):
        return EXIT_INCONCLUSIVE
    return 0
