"""Verdicts from paired rounds, checked against oracles that are not this code.

Oracles: hand arithmetic, `statistics.geometric_mean` and `statistics.NormalDist` from the
standard library, a published t-table value, and simulation with known lognormal noise.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import subprocess
import sys

import pytest

from primebench.lab.model import verdicts
from primebench.lab.model.verdicts import Comparison, Verdict


def _compare(
    contender: list[float],
    baseline: list[float],
    *,
    higher_is_better: bool = True,
    noise: float | None = None,
    seed: int = 1,
) -> Comparison:
    return verdicts.compare(
        "requests_per_s",
        "a",
        "b",
        contender,
        baseline,
        higher_is_better=higher_is_better,
        noise_halfwidth=noise,
        seed=seed,
    )


def test_hand_checked_three_rounds() -> None:
    # Ratios 2, 4, 8: geometric mean 4. With 3 rounds the expanded level is ~1 - 1e-7, so
    # the percentile interval is the extremes of the bootstrap distribution of the mean:
    # the resamples (2,2,2) and (8,8,8), i.e. [2, 8], the range of the ratios.
    c = _compare([2.0, 8.0, 32.0], [1.0, 2.0, 4.0])
    assert c.per_round == (2.0, 4.0, 8.0)
    assert c.ratio == pytest.approx(4.0, rel=1e-12)
    assert c.ci_low == pytest.approx(2.0, rel=1e-12)
    assert c.ci_high == pytest.approx(8.0, rel=1e-12)
    assert c.confidence == 0.95
    assert c.verdict is Verdict.FASTER  # [2, 8] excludes 1, no noise floor given


def test_ratio_is_the_geometric_mean() -> None:
    rng = random.Random(7)
    a = [rng.uniform(50, 150) for _ in range(9)]
    b = [rng.uniform(50, 150) for _ in range(9)]
    c = _compare(a, b)
    expected = statistics.geometric_mean([x / y for x, y in zip(a, b, strict=True)])
    assert c.ratio == pytest.approx(expected, rel=1e-12)
    assert c.ci_low is not None and c.ci_high is not None
    assert c.ci_low < c.ratio < c.ci_high


def test_expanded_level_matches_the_t_table() -> None:
    # n = 10: t(0.975, 9) = 2.262 (published tables); alpha'/2 = Phi(-sqrt(10/9) * 2.262).
    phi = statistics.NormalDist().cdf(-math.sqrt(10 / 9) * 2.262157)
    assert verdicts.expanded_confidence(10, 0.95) == pytest.approx(1 - 2 * phi, abs=1e-6)
    # Large n: the expansion vanishes (t -> z, n/(n-1) -> 1).
    assert verdicts.expanded_confidence(10_000, 0.95) == pytest.approx(0.95, abs=1e-3)


def test_interval_covers_the_true_ratio_about_95_percent_of_the_time() -> None:
    # 200 simulated A/A experiments of 10 rounds, lognormal noise of 5 % on both sides:
    # the true ratio is 1. The binomial standard error of 200 trials at 0.95 is 0.015.
    rng = random.Random(2026)
    covered = 0
    for trial in range(200):
        a = [math.exp(rng.gauss(0, 0.05)) for _ in range(10)]
        b = [math.exp(rng.gauss(0, 0.05)) for _ in range(10)]
        c = _compare(a, b, seed=trial)
        assert c.ci_low is not None and c.ci_high is not None
        covered += c.ci_low <= 1.0 <= c.ci_high
    assert 0.90 <= covered / 200 <= 0.99


def test_same_seed_same_interval() -> None:
    a, b = [10.0, 11.0, 10.5, 12.0, 9.5], [10.0, 10.2, 10.1, 10.4, 10.0]
    first, again = _compare(a, b, seed=3), _compare(a, b, seed=3)
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    other = _compare(a, b, seed=4)
    assert other.ci_low == pytest.approx(first.ci_low, rel=0.01)


@pytest.mark.parametrize(
    ("ratio", "interval", "noise", "higher_is_better", "expected"),
    [
        (1.10, (1.05, 1.15), None, True, Verdict.FASTER),
        (0.90, (0.85, 0.95), None, True, Verdict.SLOWER),
        (1.10, (0.98, 1.20), None, True, Verdict.INDISTINGUISHABLE),  # contains 1
        (1.00, (1.00, 1.02), None, True, Verdict.INDISTINGUISHABLE),  # touches 1
        (1.10, (1.05, 1.15), 0.12, True, Verdict.INDISTINGUISHABLE),  # inside the noise
        (1.10, (1.05, 1.15), 0.05, True, Verdict.FASTER),  # beyond the noise
        (0.90, (0.85, 0.95), 0.10, True, Verdict.INDISTINGUISHABLE),  # |0.9-1| = noise
        (0.80, (0.70, 0.85), None, False, Verdict.FASTER),  # latency: lower is better
        (1.30, (1.20, 1.40), 0.05, False, Verdict.SLOWER),
        (1.30, None, None, True, Verdict.INDISTINGUISHABLE),  # no interval, no claim
    ],
)
def test_verdict_table(
    ratio: float,
    interval: tuple[float, float] | None,
    noise: float | None,
    higher_is_better: bool,
    expected: Verdict,
) -> None:
    assert verdicts.decide(ratio, interval, noise, higher_is_better=higher_is_better) is expected


def test_noise_floor_turns_a_claim_into_indistinguishable() -> None:
    a = [105.0, 104.0, 106.0, 105.5, 104.5]
    b = [100.0, 100.0, 100.0, 100.0, 100.0]
    assert _compare(a, b).verdict is Verdict.FASTER
    quiet = _compare(a, b, noise=0.02)
    assert quiet.verdict is Verdict.FASTER and quiet.noise_halfwidth == 0.02
    assert _compare(a, b, noise=0.08).verdict is Verdict.INDISTINGUISHABLE
    latency = _compare(a, b, higher_is_better=False)
    assert latency.verdict is Verdict.SLOWER


@pytest.mark.parametrize("rounds", [1, 2])
def test_too_few_rounds_give_no_interval(rounds: int) -> None:
    c = _compare([2.0] * rounds, [1.0] * rounds)
    assert c.ratio == 2.0
    assert (c.ci_low, c.ci_high) == (None, None)
    assert c.verdict is Verdict.INDISTINGUISHABLE


def test_identical_values_give_no_interval() -> None:
    # Every resample would be the same number: scipy would warn; we say "no interval".
    same = _compare([5.0] * 6, [5.0] * 6)
    assert same.ratio == 1.0 and (same.ci_low, same.ci_high) == (None, None)
    constant = _compare([3.0, 6.0, 9.0], [1.0, 2.0, 3.0])  # ratio 3 every round
    assert constant.ratio == pytest.approx(3.0)
    assert constant.ci_low is None and constant.verdict is Verdict.INDISTINGUISHABLE


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([1.0, 2.0], [1.0], "paired"),
        ([], [], "no rounds"),
        ([1.0, 0.0, 2.0], [1.0, 1.0, 1.0], "positive"),
        ([1.0, -1.0, 2.0], [1.0, 1.0, 1.0], "positive"),
        ([1.0, 2.0, 3.0], [1.0, math.nan, 1.0], "positive"),
        ([1.0, 2.0, 3.0], [1.0, math.inf, 1.0], "positive"),
    ],
)
def test_bad_input_is_refused(a: list[float], b: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _compare(a, b)


def test_noise_halfwidth_from_an_aa_comparison() -> None:
    aa = Comparison(
        "m", "b", "b", (1.0,) * 3, 1.0, 0.97, 1.04, 0.95, Verdict.INDISTINGUISHABLE, None
    )
    assert verdicts.noise_halfwidth(aa) == pytest.approx(0.04)
    lopsided = Comparison("m", "b", "b", (1.0,) * 3, 1.0, 0.9, 1.01, 0.95, Verdict.SLOWER, None)
    assert verdicts.noise_halfwidth(lopsided) == pytest.approx(0.10)
    unknown = Comparison("m", "b", "b", (1.0, 1.0), 1.0, None, None, 0.95, Verdict.SLOWER, None)
    with pytest.raises(ValueError, match="no interval"):
        verdicts.noise_halfwidth(unknown)


def test_smallest_resolvable() -> None:
    def comparison(ratio: float, low: float | None, high: float | None) -> Comparison:
        return Comparison("m", "a", "b", (), ratio, low, high, 0.95, Verdict.FASTER, None)

    # ratio 1.0 in [0.95, 1.04]: moved up it needs 1/0.95 - 1 = 5.26 %, down 1 - 1/1.04.
    narrow = comparison(1.0, 0.95, 1.04)
    assert verdicts.smallest_resolvable([narrow], None) == pytest.approx(1 / 0.95 - 1)
    # ratio 2.0 in [1.6, 2.2]: 2/1.6 - 1 = 25 %.
    wide = comparison(2.0, 1.6, 2.2)
    assert verdicts.smallest_resolvable([narrow, wide], None) == pytest.approx(0.25)
    assert verdicts.smallest_resolvable([narrow], 0.08) == pytest.approx(0.08)
    assert verdicts.smallest_resolvable([comparison(1.0, None, None)], 0.01) == math.inf


def test_json_round_trip() -> None:
    c = _compare([10.0, 11.0, 12.0, 10.5], [10.0, 10.0, 10.5, 10.0], noise=0.01)
    text = json.dumps(c.to_json())
    assert Comparison.from_json(json.loads(text)) == c
    assert json.loads(text)["verdict"] in {v.value for v in Verdict}
    none = _compare([1.0, 2.0], [1.0, 1.0])
    assert Comparison.from_json(json.loads(json.dumps(none.to_json()))) == none


def test_nearly_constant_rounds_give_a_finite_interval() -> None:
    # Four identical rounds and one 1 % off: a narrow interval, no warning (pytest's
    # filterwarnings=error would fail the test on any).
    c = _compare([100.0, 100.0, 100.0, 100.0, 101.0], [100.0] * 5)
    assert c.ci_low is not None and c.ci_high is not None
    assert 1.0 <= c.ci_low <= c.ratio <= c.ci_high <= 1.01 + 1e-12


def test_scipy_is_imported_only_when_an_interval_is_computed() -> None:
    code = (
        "import sys; from primebench.lab.model import verdicts; before = 'scipy' in sys.modules; "
        "verdicts.compare('m', 'a', 'b', [1.0, 2.0, 3.0], [1.0, 1.0, 1.0], "
        "higher_is_better=True, noise_halfwidth=None, seed=0); "
        "print(before, 'scipy' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "True"]
