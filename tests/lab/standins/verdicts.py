"""Stand-in for `primebench.lab.verdicts` (percentile bootstrap with numpy; the real one uses scipy)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np


class Verdict(StrEnum):
    FASTER = "faster"
    SLOWER = "slower"
    INDISTINGUISHABLE = "indistinguishable"


@dataclass(frozen=True)
class Comparison:
    metric: str
    contender: str
    baseline: str
    per_round: tuple[float, ...]
    ratio: float
    ci_low: float | None
    ci_high: float | None
    confidence: float
    verdict: Verdict
    noise_halfwidth: float | None

    def to_json(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "contender": self.contender,
            "baseline": self.baseline,
            "per_round": list(self.per_round),
            "ratio": self.ratio,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence": self.confidence,
            "verdict": str(self.verdict),
            "noise_halfwidth": self.noise_halfwidth,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Comparison:
        return cls(
            d["metric"],
            d["contender"],
            d["baseline"],
            tuple(d["per_round"]),
            d["ratio"],
            d["ci_low"],
            d["ci_high"],
            d["confidence"],
            Verdict(d["verdict"]),
            d["noise_halfwidth"],
        )


def compare(
    metric: str,
    contender: str,
    baseline: str,
    contender_values: Sequence[float],
    baseline_values: Sequence[float],
    *,
    higher_is_better: bool,
    noise_halfwidth: float | None,
    seed: int,
    confidence: float = 0.95,
) -> Comparison:
    ratios = tuple(c / b for c, b in zip(contender_values, baseline_values, strict=True))
    ratio = math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else math.nan
    low = high = None
    if len(ratios) >= 3 and len(set(ratios)) > 1:
        rng = np.random.default_rng(seed)
        logs = np.log(np.array(ratios))
        means = rng.choice(logs, size=(2000, len(logs))).mean(axis=1)
        tail = (1 - confidence) / 2 * 100
        low = float(math.exp(np.percentile(means, tail)))
        high = float(math.exp(np.percentile(means, 100 - tail)))
    verdict = Verdict.INDISTINGUISHABLE
    floor = noise_halfwidth or 0.0
    clear = low is not None and high is not None and (low > 1 or high < 1)
    if clear and abs(ratio - 1) > floor:
        better = (ratio > 1) == higher_is_better
        verdict = Verdict.FASTER if better else Verdict.SLOWER
    return Comparison(
        metric, contender, baseline, ratios, ratio, low, high, confidence, verdict, noise_halfwidth
    )


def noise_halfwidth(aa: Comparison) -> float:
    if aa.ci_low is None or aa.ci_high is None:
        return 0.0
    return max(1 - aa.ci_low, aa.ci_high - 1)


def smallest_resolvable(comparisons: Sequence[Comparison], noise: float | None) -> float:
    widths = [
        (c.ci_high - c.ci_low) / 2
        for c in comparisons
        if c.ci_low is not None and c.ci_high is not None
    ]
    return max(min(widths, default=math.inf), noise or 0.0)
