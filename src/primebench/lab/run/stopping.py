"""When an arm's rounds of a point end: at a fixed count, or once its answer is precise.

`--rounds auto` (the default) measures every arm for at least `minimum` rounds, then after
each round stops an arm whose comparison with the baseline is known to the target
precision: the half-width of its interval, on the log scale and as a fraction, is within
`max(--precision, A/A noise floor)`. Below the noise floor a narrower interval cannot
change a claim (a claim must exceed the floor); below `--precision` the user said the
difference does not matter. An arm that never gets there runs to `maximum`, or until the time budget is spent.

A time budget (`--budget`, the article's default 240 s: the main job fits 5 min) is planned
against after each round past the minimum: when the next round of the arms still running
(each at the mean wall time of its own trials so far, settling included) would not end
within the seconds left, every arm still running stops there, reason `budget`, and its
wider interval is what the report shows. The minimum always runs: an interval needs it.

Why this is honest: the rule looks only at the interval's *width*, never at where the
interval lies or at the verdict. Stopping the moment an interval excludes 1 ("faster!")
is optional stopping: the chance of a false claim grows with every look. The width of a
geometric mean's interval shrinks like 1/sqrt(rounds) whatever the true ratio is, so a
width-based stop does not prefer any verdict; it only spends rounds where the spread is
wide (Kelley, Maxwell & Rausch 2003, "accuracy in parameter estimation"; the same rule as
pyperf's and Criterion.rs's "measure until the error is small", applied per arm). The
budget looks at neither: it depends on the clock and the trials' wall times, which are
the same whichever way a comparison leans, so it too stops on no verdict.

The reference arms (the baseline candidates and the A/A twin) run while any arm runs: a
ratio needs both sides of a round, and the noise floor is best measured over all of them.

An arm that cannot answer (its trial completed no 2xx answer, or fewer than 1 a second)
is decided at once: another 10 s of timeouts and a restart per round would tell nothing
more. Pure functions; the round loop (`rounds.py`) calls `decide` after each round, and
prints `interval_lines` and `stop_line` (the running intervals, why an arm stopped).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from primebench.lab.model.bench_records import Stopping
from primebench.lab.model.results import PointComparison, RunRecord
from primebench.lab.model.verdicts import MIN_ROUNDS, Comparison
from primebench.lab.model.vocabulary import StopReason

__all__ = [
    "CANNOT_ANSWER_REQ_PER_S",
    "DEFAULT_MAXIMUM",
    "DEFAULT_MINIMUM",
    "DEFAULT_PRECISION",
    "Budget",
    "RoundsRule",
    "cannot_answer",
    "decide",
    "interval_lines",
    "relative_halfwidth",
    "stop_line",
]

DEFAULT_MINIMUM = 3  # the fewest rounds that give an interval (verdicts.MIN_ROUNDS)
DEFAULT_MAXIMUM = 10
DEFAULT_PRECISION = 0.03
#: Below this many 2xx answers a second a trial tells only that the arm cannot answer.
CANNOT_ANSWER_REQ_PER_S = 1.0


@dataclass(frozen=True)
class RoundsRule:
    """`--rounds N` (fixed: `auto` False, `maximum` N) or `--rounds auto` with its bounds."""

    auto: bool
    maximum: int
    minimum: int = DEFAULT_MINIMUM
    precision: float = DEFAULT_PRECISION

    def target(self, noise_floor: float | None) -> float:
        """The half-width an arm's interval must reach: the looser of precision and floor."""
        return self.precision if noise_floor is None else max(self.precision, noise_floor)


@dataclass(frozen=True)
class Budget:
    """What is left of a time budget after a round, and what each arm's trial costs.

    `trial_s`: the mean wall time of each arm's trials so far (load, settling, restarts);
    an arm not in it is taken to cost nothing, so the rule never stops on a guess.
    """

    seconds_left: float
    trial_s: Mapping[str, float]

    def next_round_s(self, arms: Collection[str]) -> float:
        """What one more round of `arms` would take, at each arm's own pace so far."""
        return sum(self.trial_s.get(name, 0.0) for name in arms)

    def fits(self, arms: Collection[str]) -> bool:
        return self.next_round_s(arms) <= self.seconds_left


def relative_halfwidth(comparison: Comparison) -> float | None:
    """Half the interval's width on the log scale, as a fraction (None: no interval yet).

    0.04 [0.039, 0.041] and 1.00 [0.975, 1.025] are both known to about 2.5 %: the width
    is relative to the ratio, so a tenfold difference and a tie are held to one standard.
    """
    low, high = comparison.ci_low, comparison.ci_high
    ratios = comparison.per_round
    if (
        low is None
        and len(ratios) >= MIN_ROUNDS
        and max(ratios) - min(ratios) <= 1e-9 * max(ratios)
    ):
        return 0.0  # every round gave the same ratio: no spread, so no interval to bootstrap
    if low is None or high is None or low <= 0 or high <= 0:
        return None
    return math.expm1((math.log(high) - math.log(low)) / 2)


def cannot_answer(run: RunRecord) -> bool:
    """A successful trial with (almost) no 2xx answer: only timeouts, or below 1 req/s."""
    return (
        run.status == "ok"
        and run.load is not None
        and run.load.req_per_s < (CANNOT_ANSWER_REQ_PER_S)
    )


def decide(
    rule: RoundsRule,
    rounds_done: int,
    running: Collection[str],
    comparisons: Sequence[PointComparison],
    noise_floor: float | None,
    references: Collection[str],
    last_trials: Mapping[str, RunRecord],
    budget: Budget | None = None,
) -> dict[str, Stopping]:
    """The arms of `running` that stop after round `rounds_done` (1-based), with why.

    `comparisons` are the point's comparisons over the rounds so far; `references` the
    arms that run while any other does; `last_trials` each arm's latest measured trial;
    `budget` the seconds left and what a trial costs (None: no budget).
    """
    halfwidths = {
        c.comparison.contender: relative_halfwidth(c.comparison) for c in comparisons if not c.aa
    }
    target = rule.target(noise_floor) if rule.auto else None
    stopped: dict[str, Stopping] = {}
    for name in running:
        trial = last_trials.get(name)
        if trial is not None and cannot_answer(trial) and name not in references:
            stopped[name] = Stopping(rounds_done, "cannot-answer", None, None)
    if rounds_done >= rule.maximum:
        reason: StopReason = "maximum" if rule.auto else "fixed"
        for name in running:
            if name not in stopped:
                stopped[name] = Stopping(rounds_done, reason, halfwidths.get(name), target)
        return stopped
    if not rule.auto or rounds_done < rule.minimum or target is None:
        return stopped

    def satisfied(name: str) -> bool:
        if name in stopped:
            return True
        if name not in halfwidths:  # not compared: the baseline or the A/A twin
            return name in references
        width = halfwidths[name]
        return width is not None and width <= target

    done = {name for name in running if satisfied(name)}
    for name in sorted(done - set(references) - set(stopped)):
        stopped[name] = Stopping(rounds_done, "precision", halfwidths.get(name), target)
    if done >= set(running):  # every arm is precise: the references stop too
        for name in running:
            if name not in stopped:
                stopped[name] = Stopping(rounds_done, "precision", halfwidths.get(name), target)
    left = [name for name in running if name not in stopped]
    if budget is not None and left and not budget.fits(left):
        for name in sorted(left):
            stopped[name] = Stopping(rounds_done, "budget", halfwidths.get(name), target)
    return stopped


def stop_line(stop: Stopping) -> str:
    """Why an arm's rounds ended, for a progress line and the report."""
    rounds = f"{stop.rounds} round{'s' if stop.rounds != 1 else ''}"
    if stop.reason == "cannot-answer":
        return f"decided after {rounds}: cannot answer (below 1 req/s or only timeouts)"
    width = "" if stop.halfwidth is None else f", interval ±{stop.halfwidth * 100:.1f} %"
    target = "" if stop.target is None else f" (target ±{stop.target * 100:.1f} %)"
    if stop.reason == "precision":
        return f"stopped after {rounds}: precise enough{width}{target}"
    if stop.reason == "maximum":
        return f"stopped at the maximum, {rounds}{width}{target}"
    if stop.reason == "budget":
        return f"stopped after {rounds}: the time budget was spent{width}{target}"
    return f"{rounds} (fixed){width}"


def interval_lines(found: Sequence[PointComparison], measured: Sequence[str]) -> list[str]:
    """The running interval of each comparison of an arm measured in this round."""
    lines = []
    for c in found:
        cmp = c.comparison
        if cmp.contender not in measured or cmp.ci_low is None or cmp.ci_high is None:
            continue
        width = relative_halfwidth(cmp)
        spread = "" if width is None else f" ±{width * 100:.1f} %"
        lines.append(
            f"    {cmp.contender} / {cmp.baseline}: {cmp.ratio:.3g} "
            f"[{cmp.ci_low:.3g}, {cmp.ci_high:.3g}]{spread} after {len(cmp.per_round)} rounds"
        )
    return lines
