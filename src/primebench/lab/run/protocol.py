"""The bench protocol's pure steps: round orders, pairing trials, choosing the baseline.

A bench measures *arms* (a contender the lab starts, the A/A twin of the baseline, or an
already running target) in interleaved rounds: each round measures every arm once per
scenario point, in a fresh random order drawn from a recorded seed, so a drift of the
machine (a neighbour's job, thermal state, a cache the kernel dropped) hits every arm
alike instead of whichever ran last (Abedi & Brecht, ICPE'17: randomized multiple
interleaved trials). Trials are paired by round and compared as ratios with a bootstrap
interval (`verdicts.compare`); the A/A arm's interval is the run's noise floor.

Everything here is a pure function of its arguments: the process handling is in `bench`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from primebench.lab.model import verdicts
from primebench.lab.model.pairing import paired_values
from primebench.lab.model.results import PointComparison, PointRecord, RoundOrder
from primebench.lab.model.vocabulary import Metric

__all__ = [
    "AA_SUFFIX",
    "ARTICLE_SERVERS",
    "Calibration",
    "choose_baseline",
    "expected_baseline",
    "mirrored",
    "point_comparisons",
    "round_orders",
    "scaling_comparisons",
    "twin_name",
]

#: The article's own servers: the default baseline is the fastest of them present.
ARTICLE_SERVERS = ("node-seed", "go-seed", "rust-axum")
#: Before any measurement the A/A twin must be chosen: the likeliest fastest article server.
LIKELY_FASTEST = ("rust-axum", "go-seed", "node-seed")
AA_SUFFIX = "#aa"


def twin_name(baseline: str) -> str:
    """The A/A arm's name: a second, independently started instance of `baseline`."""
    return f"{baseline}{AA_SUFFIX}"


def round_orders(arms: Sequence[str], rounds: int, seed: int, point: str) -> tuple[RoundOrder, ...]:
    """A random order of `arms` per round for `point`, balanced by position, from `seed`.

    Rounds come in blocks of len(arms): a block is a random Latin square (the rotations of
    a freshly shuffled order, in shuffled sequence), so within each block every arm holds
    every position once. A free draw per round can put one arm first in every round (seed
    7 did, for 3 arms and 5 rounds), and a position effect would then pass for a
    difference. The point's key is mixed into the seed so two points differ.
    """
    rng = random.Random(f"{seed}/{point}")
    names = list(arms)
    orders: list[tuple[str, ...]] = []
    while len(orders) < rounds:
        base = rng.sample(names, len(names))
        shifts = rng.sample(range(len(names)), len(names)) if names else [0]
        orders += [tuple(base[k:] + base[:k]) for k in shifts]
    return tuple(RoundOrder(point, i, order) for i, order in enumerate(orders[:rounds]))


def mirrored(order: Sequence[str]) -> tuple[str, ...]:
    """A round's order, then the same order reversed: A B C C B A (ABBA for two arms).

    Each arm's two trials sit symmetrically about the round's middle, so every arm's mean
    time is the same: a drift of the machine that is linear over the round adds the same
    to every arm and cancels out of every ratio, and paired trials are run closer together
    on average. The two legs are merged into the round's figure (`pairing.round_value`).
    """
    return (*order, *reversed(order))


def expected_baseline(present: Sequence[str], requested: str | None) -> str | None:
    """The arm an A/A twin is started for, before anything is measured.

    `--baseline` when given; otherwise the article server likeliest to be fastest
    (rust-axum, then go-seed, then node-seed): the default baseline is chosen after the
    measurement, and it is that one unless the machine reverses the article's order.
    """
    if requested:
        return requested
    return next((name for name in LIKELY_FASTEST if name in present), None)


def choose_baseline(medians: Mapping[str, float | None], requested: str | None) -> str | None:
    """`--baseline`, else the article server with the highest median of the point's metric."""
    if requested:
        return requested if requested in medians else None
    # A zero (every request timed out) cannot be the denominator of a ratio.
    measured = {n: m for n, m in medians.items() if n in ARTICLE_SERVERS and m}
    if not measured:
        return None
    return max(measured, key=lambda name: measured[name])


@dataclass(frozen=True)
class Calibration:
    """The A/A comparison of one point and the half-width it gives (None: not calibrated)."""

    aa: PointComparison | None
    halfwidth: float | None


def _calibrate(
    point: str,
    points: Mapping[str, PointRecord],
    baseline: str,
    metric: Metric,
    higher_is_better: bool,
    seed: int,
) -> Calibration:
    twin = points.get(twin_name(baseline))
    base = points.get(baseline)
    if twin is None or base is None:
        return Calibration(None, None)
    twin_values, base_values = paired_values(twin.runs, base.runs, metric)
    if not twin_values:  # no round where both answered (e.g. every request timed out)
        return Calibration(None, None)
    aa = verdicts.compare(
        metric,
        twin_name(baseline),
        baseline,
        twin_values,
        base_values,
        higher_is_better=higher_is_better,
        noise_halfwidth=None,
        seed=seed,
    )
    width = verdicts.noise_halfwidth(aa) if aa.ci_low is not None else None
    return Calibration(PointComparison(point, aa, aa=True), width)


def point_comparisons(
    point: str,
    points: Mapping[str, PointRecord],
    baseline: str,
    metric: Metric,
    *,
    higher_is_better: bool,
    seed: int,
) -> tuple[tuple[PointComparison, ...], Calibration]:
    """Every arm of one point against `baseline`, after the A/A pairs (when there are any).

    `points` maps arm names to their record of this point. The baseline's A/A twin gives
    the noise half-width every comparison against the baseline is judged by. Any other
    twin (`--twin`) is compared with its own original only: that A/A pair is the noise
    floor of comparisons against that arm (P3-core's bare app), computed where they are.
    No twin is compared with the baseline as a contender.
    """
    calibration = _calibrate(point, points, baseline, metric, higher_is_better, seed)
    found: list[PointComparison] = [] if calibration.aa is None else [calibration.aa]
    for name in points:
        if name != baseline and twin_name(name) in points:
            other = _calibrate(point, points, name, metric, higher_is_better, seed)
            found += [] if other.aa is None else [other.aa]
    for name, record in points.items():
        if name == baseline or name.endswith(AA_SUFFIX) or baseline not in points:
            continue
        values, base = paired_values(record.runs, points[baseline].runs, metric)
        if not values:
            continue
        comparison = verdicts.compare(
            metric,
            name,
            baseline,
            values,
            base,
            higher_is_better=higher_is_better,
            noise_halfwidth=calibration.halfwidth,
            seed=seed,
        )
        found.append(PointComparison(point, comparison, aa=False))
    return tuple(found), calibration


def scaling_comparisons(
    arm: str, points: Sequence[PointRecord], metric: Metric, *, seed: int
) -> tuple[PointComparison, ...]:
    """Each later point of one arm against its first (the cores scenario: N cores vs 1).

    The points ran one after the other (the server is restarted on other cores between
    them), so trials are paired by round index, not by time: the interval covers the
    round-to-round spread of both points, while a drift between the two points is not
    cancelled as it is between arms of one point. Reports say so.
    """
    ok = [p for p in points if p.status == "ok"]
    if len(ok) < 2:
        return ()
    first = ok[0]
    found = []
    for later in ok[1:]:
        values, base = paired_values(later.runs, first.runs, metric)
        if not values:
            continue
        comparison = verdicts.compare(
            metric,
            f"{arm} @ {later.key}",
            f"{arm} @ {first.key}",
            values,
            base,
            higher_is_better=True,
            noise_halfwidth=None,
            seed=seed,
        )
        found.append(PointComparison(later.key, comparison, aa=False))
    return tuple(found)
