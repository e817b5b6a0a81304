"""The protocol's pure steps: round orders, baseline choice, pairing by round, comparisons."""

from __future__ import annotations

from dataclasses import replace

import pytest

from primebench.lab.model import verdicts
from primebench.lab.model.load_records import LoadResult
from primebench.lab.model.pairing import paired_values
from primebench.lab.model.results import PointRecord, RunRecord
from primebench.lab.model.verdicts import Verdict
from primebench.lab.model.vocabulary import TrialKind, TrialStatus
from primebench.lab.run import protocol
from primebench.lab.run.point_records import summarize_point
from primebench.lab.scenarios.base import Point


def trial(
    index: int, rps: float, *, status: TrialStatus = "ok", kind: TrialKind = "measured"
) -> RunRecord:
    load = LoadResult("wrk", 1.0, int(rps), rps, None, 0.0, 0, 0, 0)
    return RunRecord(kind, index, status, "", load, None, 1.0, 1, None, 0.1, 1.0, 1, False, None)


def point(*values: float) -> PointRecord:
    p = Point("n=1", "n=1", {"n": 1}, ())
    return summarize_point(p, [trial(i, v) for i, v in enumerate(values)], None)


def test_each_round_is_a_permutation_reproducible_from_the_seed() -> None:
    arms = ["go-seed", "primebench", "go-seed#aa"]
    orders = protocol.round_orders(arms, 20, seed=7, point="n=1")
    assert [o.index for o in orders] == list(range(20))
    assert all(sorted(o.order) == sorted(arms) for o in orders)
    assert len({o.order for o in orders}) > 1  # not one fixed order
    assert orders == protocol.round_orders(arms, 20, seed=7, point="n=1")
    assert orders != protocol.round_orders(arms, 20, seed=8, point="n=1")
    assert orders != protocol.round_orders(arms, 20, seed=7, point="n=2")


def test_every_block_of_rounds_puts_every_arm_in_every_position_once() -> None:
    arms = ["a", "b", "c"]
    for seed in range(50):
        orders = protocol.round_orders(arms, 6, seed=seed, point="p")
        for block in (orders[:3], orders[3:]):
            for position in range(3):
                assert sorted(o.order[position] for o in block) == arms


def test_a_partial_block_is_still_a_set_of_permutations() -> None:
    orders = protocol.round_orders(["a", "b", "c"], 5, seed=7, point="n=1")
    assert len(orders) == 5 and all(sorted(o.order) == ["a", "b", "c"] for o in orders)
    assert len({o.order[0] for o in orders[:3]}) == 3  # the first block is balanced


def test_default_baseline_is_the_fastest_article_server() -> None:
    medians = {"node-seed": 80.0, "go-seed": 150.0, "rust-axum": 140.0, "primebench": 900.0}
    assert protocol.choose_baseline(medians, None) == "go-seed"
    assert protocol.choose_baseline(medians, "primebench") == "primebench"
    assert protocol.choose_baseline({"primebench": 1.0}, None) is None
    assert protocol.choose_baseline(medians, "absent") is None


def test_the_twin_is_started_for_the_likeliest_baseline() -> None:
    assert protocol.expected_baseline(["go-seed", "primebench"], None) == "go-seed"
    assert protocol.expected_baseline(["node-seed", "rust-axum"], None) == "rust-axum"
    assert protocol.expected_baseline(["primebench"], "primebench") == "primebench"
    assert protocol.expected_baseline(["primebench"], None) is None


def test_pairs_only_rounds_where_both_arms_have_a_kept_successful_trial() -> None:
    a = [trial(0, 10), trial(1, 11, status="failed"), trial(2, 12), trial(3, 99, kind="repeated")]
    a.append(trial(3, 13))
    b = [trial(0, 20), trial(1, 21), trial(3, 23)]
    assert paired_values(a, b, "req_per_s") == ([10.0, 13.0], [20.0, 23.0])


def test_aa_interval_becomes_the_noise_floor_of_the_point() -> None:
    points = {
        "go-seed": point(100, 102, 98, 101, 99),
        "go-seed#aa": point(101, 100, 99, 100, 100),
        "primebench": point(70, 72, 69, 71, 70),
    }
    found, calibration = protocol.point_comparisons(
        "n=1", points, "go-seed", "req_per_s", higher_is_better=True, seed=1
    )
    aa = next(c for c in found if c.aa)
    assert aa.comparison.contender == "go-seed#aa" and aa.comparison.baseline == "go-seed"
    assert aa.comparison.ci_low is not None and aa.comparison.ci_high is not None
    assert aa.comparison.ci_low <= 1.0 <= aa.comparison.ci_high
    assert calibration.halfwidth is not None and calibration.halfwidth > 0
    (pb,) = [c for c in found if not c.aa]
    assert pb.comparison.per_round == pytest.approx((0.70, 72 / 102, 69 / 98, 71 / 101, 70 / 99))
    assert pb.comparison.verdict is Verdict.SLOWER
    assert pb.comparison.noise_halfwidth == calibration.halfwidth


def test_another_arm_s_twin_is_its_own_a_a_pair_and_never_a_contender() -> None:
    """--twin bare-httptools: its pair is compared with bare-httptools, not with go-seed."""
    points = {
        "go-seed": point(100, 130, 80, 120, 90),  # a noisy baseline: a wide A/A floor
        "go-seed#aa": point(120, 100, 100, 90, 110),
        "bare": point(200, 202, 198, 201, 199),
        "bare#aa": point(201, 200, 199, 200, 200),
        "primebench": point(196, 199, 194, 197, 195),
    }
    found, calibration = protocol.point_comparisons(
        "n=1", points, "go-seed", "req_per_s", higher_is_better=True, seed=1
    )
    pairs = {(c.comparison.contender, c.comparison.baseline): c for c in found}
    assert set(pairs) == {
        ("go-seed#aa", "go-seed"),
        ("bare#aa", "bare"),
        ("bare", "go-seed"),
        ("primebench", "go-seed"),
    }
    assert pairs[("go-seed#aa", "go-seed")].aa and pairs[("bare#aa", "bare")].aa
    own = verdicts.noise_halfwidth(pairs[("bare#aa", "bare")].comparison)
    assert calibration.halfwidth is not None and own < 0.05 < calibration.halfwidth
    assert pairs[("primebench", "go-seed")].comparison.noise_halfwidth == calibration.halfwidth


def test_no_baseline_in_the_point_no_comparison() -> None:
    found, calibration = protocol.point_comparisons(
        "n=1",
        {"primebench": point(1, 2, 3)},
        "go-seed",
        "req_per_s",
        higher_is_better=True,
        seed=1,
    )
    assert found == () and calibration.halfwidth is None


def test_each_core_count_is_compared_with_one_core_paired_by_round() -> None:
    one = replace(point(74, 75, 76), key="cores=1")
    two = replace(point(146, 148, 150), key="cores=2")
    (found,) = protocol.scaling_comparisons("rust-axum", [one, two], "req_per_s", seed=1)
    c = found.comparison
    assert (found.point, c.contender, c.baseline) == (
        "cores=2",
        "rust-axum @ cores=2",
        "rust-axum @ cores=1",
    )
    assert c.per_round == pytest.approx((146 / 74, 148 / 75, 150 / 76))
    assert c.verdict is Verdict.FASTER
    assert protocol.scaling_comparisons("x", [one], "req_per_s", seed=1) == ()


def test_a_point_at_zero_req_per_s_is_neither_baseline_nor_compared() -> None:
    """Every request timed out (0 req/s, a measurement): no ratio can have it below the line."""
    medians = {"fastapi-seed": 0.0, "node-seed": 0.0}
    assert protocol.choose_baseline(medians, None) is None
    assert protocol.choose_baseline({**medians, "go-seed": 150.0}, None) == "go-seed"
    points = {
        "node-seed": point(0, 0, 0),
        "node-seed#aa": point(0, 0, 0),
        "go-seed": point(150, 151, 149),
    }
    found, calibration = protocol.point_comparisons(  # a zero baseline, as --baseline can ask
        "n=1", points, "node-seed", "req_per_s", higher_is_better=True, seed=1
    )
    assert found == () and calibration == protocol.Calibration(None, None)
    assert (point(0, 0, 0).status, point(0, 0, 0).median("req_per_s")) == ("ok", 0.0)


def test_a_mirrored_round_puts_every_arm_s_mean_position_at_the_middle() -> None:
    order = ("b", "c", "a")
    legs = protocol.mirrored(order)
    assert legs == ("b", "c", "a", "a", "c", "b")
    middle = (len(legs) - 1) / 2
    for arm in order:
        positions = [i for i, name in enumerate(legs) if name == arm]
        assert len(positions) == 2 and sum(positions) / 2 == middle


def test_a_mirrored_round_pairs_the_geometric_mean_of_its_two_legs() -> None:
    a = [trial(0, 10), trial(0, 40), trial(1, 12), trial(1, 99, status="failed")]
    b = [trial(0, 20), trial(0, 20), trial(1, 24)]
    values, base = paired_values(a, b, "req_per_s")
    assert values == pytest.approx([20.0, 12.0]) and base == pytest.approx([20.0, 24.0])
