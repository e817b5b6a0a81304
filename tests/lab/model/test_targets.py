"""Targets judged by intervals: pass, miss, inconclusive, unmeasured; exit statuses."""

from __future__ import annotations

import dataclasses
import json

import pytest

from primebench.lab.model import results, targets
from primebench.lab.model.targets import TARGETS, Target, TargetResult, TargetVerdict
from primebench.lab.model.verdicts import Comparison, Verdict
from tests.lab.golden_util import FIXTURE

AT_LEAST_1 = Target("X", "a / b req/s", 1.0, True)
AT_MOST_2 = Target("Y", "a / b p99", 2.0, False)

PASS, MISS, INCONCLUSIVE = TargetVerdict.PASS, TargetVerdict.MISS, TargetVerdict.INCONCLUSIVE


def _comparison(
    ratio: float, low: float | None, high: float | None, noise: float | None = None
) -> Comparison:
    rounds = (ratio,) * (5 if low is not None else 2)
    return Comparison("m", "a", "b", rounds, ratio, low, high, 0.95, Verdict.FASTER, noise)


def test_the_targets_are_defined() -> None:
    assert sorted(TARGETS) == ["P1", "P2", "P3", "P4", "P5", "P6", "P6-rss"]
    assert (TARGETS["P1"].threshold, TARGETS["P1"].at_least) == (1.0, True)
    assert (TARGETS["P2"].threshold, TARGETS["P2"].at_least) == (300.0, True)
    assert (TARGETS["P3"].threshold, TARGETS["P3"].at_least) == (1.0, True)
    assert (TARGETS["P4"].threshold, TARGETS["P4"].at_least) == (2.0, False)
    assert (TARGETS["P5"].threshold, TARGETS["P5"].at_least) == (1.2, False)
    assert (TARGETS["P6"].threshold, TARGETS["P6"].at_least) == (0.5, False)
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


# --- the document-based check (a document of per-contender runs, without rounds) ---


def _checked(doc: results.Document) -> dict[str, TargetResult]:
    return {r.target.id: r for r in targets.check(doc)}


def test_document_check_without_rounds_is_never_a_pass() -> None:
    checked = _checked(results.load(FIXTURE))
    # python-jit is not in the fixture; rust-axum failed verification: no ratio for P1, P2.
    assert checked["P1"].verdict is None
    assert "python-jit not measured" in checked["P1"].reason
    assert checked["P2"].verdict is None and "rust-axum failed" in checked["P2"].reason
    assert "P3" not in checked  # no floor scenario in the fixture
    assert checked["P4"].verdict is None
    assert "primebench not measured in convoy" in checked["P4"].reason
    assert targets.exit_code(list(checked.values())) == 1


def test_document_check_ratio_of_medians_is_inconclusive() -> None:
    doc = results.load(FIXTURE)
    ratio = targets.throughput_ratio("article", "node-seed", "go-seed")  # 55 / 50
    (result,) = targets.check(doc, [(AT_LEAST_1, "article", ratio)])
    assert result.verdict is INCONCLUSIVE and result.reason == targets.NO_ROUNDS
    assert result.ratio == pytest.approx(1.1)
    assert targets.exit_code([result]) == 3


def test_generator_bound_ratio_does_not_count() -> None:
    doc = results.load(FIXTURE)
    ratio = targets.throughput_ratio("article", "primebench", "node-seed")
    (result,) = targets.check(doc, [(AT_LEAST_1, "article", ratio)])
    assert result.verdict is None and "generator-bound" in result.reason


def test_convoy_target_needs_the_heavy_n_it_is_defined_at() -> None:
    doc = results.load(FIXTURE)
    convoy = doc.scenario("convoy")
    assert convoy is not None
    ours = dataclasses.replace(convoy.results[0], contender="primebench")
    doc = dataclasses.replace(doc, scenarios=(dataclasses.replace(convoy, results=(ours,)),))
    p4 = _checked(doc)["P4"]
    assert p4.verdict is None
    assert "--heavy-n primebench=1000000000000" in p4.reason
    # The same run at the target's heavy n gives the ratio: p99 95 ms loaded vs 2 ms alone.
    assert targets.convoy_ratio("primebench", heavy_n=20000)(doc) == 95.0 / 2.0
