"""Targets judged by intervals: pass, miss, inconclusive, unmeasured; exit statuses."""

from __future__ import annotations

import dataclasses
import json

import pytest

from primebench.lab.model import targets
from primebench.lab.model.targets import TARGETS, Target, TargetResult, TargetVerdict
from primebench.lab.model.verdicts import Comparison, Verdict

AT_LEAST_1 = Target("X", "a / b req/s", 1.0, True)
AT_MOST_2 = Target("Y", "a / b p99", 2.0, False)

PASS, MISS, INCONCLUSIVE = TargetVerdict.PASS, TargetVerdict.MISS, TargetVerdict.INCONCLUSIVE


def _comparison(
    ratio: float, low: float | None, high: float | None, noise: float | None = None
) -> Comparison:
    rounds = (ratio,) * (5 if low is not None else 2)
    return Comparison("m", "a", "b", rounds, ratio, low, high, 0.95, Verdict.FASTER, noise)


def test_the_targets_are_defined() -> None:
    assert sorted(TARGETS) == [
        "P1",
        "P2",
        "P3",
        "P3-core",
        "P3b",
        "P4",
        "P5",
        "P6",
        "P6-rss",
        "P6-warm",
    ]
    assert (TARGETS["P1"].threshold, TARGETS["P1"].at_least) == (1.0, True)
    assert (TARGETS["P2"].threshold, TARGETS["P2"].at_least) == (300.0, True)
    p3 = TARGETS["P3"]
    assert (p3.threshold, p3.at_least, p3.low_end) == (1.2, True, 1.1)
    assert (TARGETS["P3b"].threshold, TARGETS["P3b"].low_end) == (0.7, None)
    assert (TARGETS["P3-core"].threshold, TARGETS["P3-core"].at_least) == (0.9, True)
    assert targets.BARE_CORE in TARGETS["P3-core"].description
    assert (TARGETS["P4"].threshold, TARGETS["P4"].at_least) == (2.0, False)
    assert (TARGETS["P5"].threshold, TARGETS["P5"].at_least) == (1.2, False)
    assert (TARGETS["P6"].threshold, TARGETS["P6"].at_least) == (0.3, False)
    assert (TARGETS["P6-warm"].threshold, TARGETS["P6-warm"].at_least) == (0.2, False)
    assert (TARGETS["P6-rss"].threshold, TARGETS["P6-rss"].at_least) == (80.0, False)


@pytest.mark.parametrize(
    ("target", "low", "high", "expected"),
    [
        (AT_LEAST_1, 1.02, 1.10, PASS),
        (AT_LEAST_1, 1.00, 1.10, PASS),  # the bound reaches the threshold
        (AT_LEAST_1, 0.92, 1.10, INCONCLUSIVE),
        (AT_LEAST_1, 0.80, 0.99, MISS),
        (AT_LEAST_1, 0.80, 1.00, INCONCLUSIVE),
        (AT_MOST_2, 1.50, 1.90, PASS),
        (AT_MOST_2, 1.50, 2.00, PASS),
        (AT_MOST_2, 1.90, 2.10, INCONCLUSIVE),
        (AT_MOST_2, 2.01, 3.00, MISS),
        (AT_MOST_2, 0.5, 0.5, PASS),  # a point value
        (AT_MOST_2, 2.5, 2.5, MISS),
    ],
)
def test_judge(target: Target, low: float, high: float, expected: TargetVerdict) -> None:
    assert targets.judge(target, low, high) is expected


def test_judge_refuses_reversed_bounds() -> None:
    with pytest.raises(ValueError, match="reversed"):
        targets.judge(AT_LEAST_1, 1.2, 1.1)


def test_judge_comparison() -> None:
    passed = targets.judge_comparison(AT_LEAST_1, _comparison(1.05, 1.02, 1.08), "")
    assert passed == TargetResult(AT_LEAST_1, 1.05, 1.02, 1.08, PASS, "")
    missed = targets.judge_comparison(AT_MOST_2, _comparison(3.0, 2.5, 3.5), "")
    assert missed.verdict is MISS and missed.reason == ""
    unsure = targets.judge_comparison(AT_LEAST_1, _comparison(1.01, 0.92, 1.10), "")
    assert unsure.verdict is INCONCLUSIVE
    assert unsure.reason == "the 95% interval [0.92, 1.1] straddles 1"


def test_judge_comparison_without_an_interval_or_a_comparison() -> None:
    few = targets.judge_comparison(AT_LEAST_1, _comparison(1.5, None, None), "")
    assert few == TargetResult(
        AT_LEAST_1, 1.5, None, None, INCONCLUSIVE, "no interval from 2 rounds (at least 3 needed)"
    )
    missing = targets.judge_comparison(AT_LEAST_1, None, "rust-axum failed to build")
    assert missing == TargetResult(AT_LEAST_1, None, None, None, None, "rust-axum failed to build")


def test_noise_floor_makes_a_close_pass_inconclusive() -> None:
    close = _comparison(1.03, 1.01, 1.05, noise=0.04)
    result = targets.judge_comparison(AT_LEAST_1, close, "")
    assert result.verdict is INCONCLUSIVE
    assert "within the A/A noise floor of 4.0%" in result.reason
    clear = targets.judge_comparison(
        AT_LEAST_1, dataclasses.replace(close, noise_halfwidth=0.02), ""
    )
    assert clear.verdict is PASS
    # A miss by less than the noise is not claimed either: 2.1 vs <= 2 is 5 % off, noise 6 %.
    near_miss = targets.judge_comparison(AT_MOST_2, _comparison(2.1, 2.05, 2.15, noise=0.06), "")
    assert near_miss.verdict is INCONCLUSIVE


def test_judge_value() -> None:
    worst = targets.judge_value(TARGETS["P6"], 0.61, "worst of 5 cold starts")
    assert worst == TargetResult(TARGETS["P6"], 0.61, 0.61, 0.61, MISS, "worst of 5 cold starts")
    assert targets.judge_value(TARGETS["P6"], 0.2, "").verdict is PASS
    none = targets.judge_value(TARGETS["P6"], None, "the server never answered")
    assert none.verdict is None and none.reason == "the server never answered"


def _result(verdict: TargetVerdict | None) -> TargetResult:
    return TargetResult(AT_LEAST_1, None, None, None, verdict, "")


@pytest.mark.parametrize(
    ("verdicts", "status"),
    [
        ([PASS, PASS], 0),
        ([PASS, INCONCLUSIVE], 3),
        ([INCONCLUSIVE, MISS], 1),
        ([PASS, None], 1),  # unmeasured counts as a miss
        ([], 1),  # nothing judged is no pass
    ],
)
def test_exit_status(verdicts: list[TargetVerdict | None], status: int) -> None:
    assert targets.exit_status([_result(v) for v in verdicts]) == status


def test_result_json_round_trip_and_line() -> None:
    result = targets.judge_comparison(TARGETS["P5"], _comparison(1.1, 1.05, 1.3), "")
    assert TargetResult.from_json(json.loads(json.dumps(result.to_json()))) == result
    assert result.line() == (
        "P5 inconclusive "
        "primebench /prime?n~10^12 latency / primecount alone, one core = 1.1 [1.05, 1.3] "
        "(target <= 1.2): the 95% interval [1.05, 1.3] straddles 1.2"
    )
    unmeasured = TargetResult(TARGETS["P6"], None, None, None, None, "no answer")
    assert TargetResult.from_json(json.loads(json.dumps(unmeasured.to_json()))) == unmeasured
    assert unmeasured.line().startswith("P6 unmeasured   start to first")


def test_target_json_and_operator() -> None:
    p4 = TARGETS["P4"]
    as_json = {
        "id": "P4",
        "description": "primebench light p99 beside n=10^12 load / alone (convoy)",
        "threshold": 2.0,
        "at_least": False,
    }
    assert p4.to_json() == as_json
    assert Target.from_json(as_json) == p4
    assert (TARGETS["P1"].op, p4.op) == (">=", "<=")


def test_judge_comparison_gives_the_whole_result() -> None:
    missed = targets.judge_comparison(AT_MOST_2, _comparison(3.0, 2.5, 3.5), "")
    assert missed == TargetResult(AT_MOST_2, 3.0, 2.5, 3.5, MISS, "")
    unsure = targets.judge_comparison(AT_LEAST_1, _comparison(1.01, 0.92, 1.10), "")
    reason = "the 95% interval [0.92, 1.1] straddles 1"
    assert unsure == TargetResult(AT_LEAST_1, 1.01, 0.92, 1.10, INCONCLUSIVE, reason)


@pytest.mark.parametrize(
    ("target", "comparison", "reason"),
    [
        (
            AT_LEAST_1,
            _comparison(1.03, 1.01, 1.05, noise=0.04),
            (
                "the 95% interval [1.01, 1.05] clears 1, but by 3.0%, "
                "within the A/A noise floor of 4.0%"
            ),
        ),
        (
            AT_MOST_2,
            _comparison(2.1, 2.05, 2.15, noise=0.06),
            (
                "the 95% interval [2.05, 2.15] misses 2, but by 5.0%, "
                "within the A/A noise floor of 6.0%"
            ),
        ),
    ],
)
def test_noise_floor_result_and_reason(target: Target, comparison: Comparison, reason: str) -> None:
    result = targets.judge_comparison(target, comparison, "")
    low, high = comparison.ci_low, comparison.ci_high
    assert result == TargetResult(target, comparison.ratio, low, high, INCONCLUSIVE, reason)


def test_judge_value_at_the_threshold_passes_and_its_json() -> None:
    at = targets.judge_value(TARGETS["P6-rss"], 80.0, "largest of 3 processes")
    assert at.to_json() == {
        "target": TARGETS["P6-rss"].to_json(),
        "ratio": 80.0,
        "ci_low": 80.0,
        "ci_high": 80.0,
        "verdict": "pass",
        "reason": "largest of 3 processes",
    }


def test_line_of_a_point_value_and_of_an_unmeasured_target() -> None:
    worst = targets.judge_value(TARGETS["P6"], 0.61, "worst of 5 cold starts")
    assert worst.line() == (
        "P6 miss         start to first correct answer, worst cold start, empty cache (s) "
        "= 0.61 (target <= 0.3): worst of 5 cold starts"
    )
    unmeasured = targets.judge_comparison(TARGETS["P1"], None, "python-jit not built")
    assert unmeasured.line() == (
        "P1 unmeasured   python-jit / rust-axum req/s at n=20000 (article) "
        "(target >= 1): python-jit not built"
    )


P3 = Target("P3", "a / b req/s", 1.2, True, low_end=1.1)


@pytest.mark.parametrize(
    ("ratio", "low", "high", "expected"),
    [
        (1.25, 1.12, 1.40, PASS),  # the ratio reaches 1.2, the low end 1.1
        (1.20, 1.10, 1.31, PASS),  # both bars exactly
        (1.25, 1.05, 1.45, INCONCLUSIVE),  # the ratio is there, the low end is not
        (1.19, 1.15, 1.23, INCONCLUSIVE),  # the interval straddles 1.2
        (1.15, 1.12, 1.19, MISS),  # the whole interval short of 1.2, though above 1.1
        (0.90, 0.85, 0.95, MISS),
    ],
)
def test_a_low_end_needs_the_ratio_at_the_threshold_and_the_interval_above_the_low_end(
    ratio: float, low: float, high: float, expected: TargetVerdict
) -> None:
    assert targets.judge(P3, low, high, ratio) is expected
    judged = targets.judge_comparison(P3, _comparison(ratio, low, high), "")
    assert judged.verdict is expected
    if expected is INCONCLUSIVE and ratio >= 1.2:
        assert "reaches below 1.1" in judged.reason


def test_a_low_end_target_is_inconclusive_within_the_noise_floor() -> None:
    judged = targets.judge_comparison(P3, _comparison(1.25, 1.15, 1.35, noise=0.05), "")
    assert judged.verdict is INCONCLUSIVE and "A/A noise floor of 5.0%" in judged.reason


def test_low_end_is_written_only_when_set_so_earlier_targets_round_trip() -> None:
    plain = AT_LEAST_1.to_json()
    assert "low_end" not in plain and Target.from_json(plain) == AT_LEAST_1
    assert P3.to_json()["low_end"] == 1.1 and Target.from_json(P3.to_json()) == P3
    assert "interval's low end >= 1.1" in TargetResult(P3, 1.0, 0.9, 1.1, MISS, "").line()
