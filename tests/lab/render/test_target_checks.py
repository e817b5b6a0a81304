"""P1-P4 are judged on comparisons picked (or paired by round) from a bench document."""

from __future__ import annotations

from dataclasses import replace

import pytest

from primebench.lab.model import results, targets
from primebench.lab.model.results import ScenarioRecord
from primebench.lab.render import target_checks
from tests.lab.fixtures.make_results import ok, point, run
from tests.lab.golden_util import FIXTURE
from tests.lab.scenarios.fixture import floor_sweep


def test_fixture_has_none_of_p1_to_p4_and_says_why() -> None:
    doc = results.load(FIXTURE)
    chosen = target_checks.select(doc)
    assert set(chosen) == {"P1", "P2", "P4"}
    assert chosen["P1"] == (None, "python-jit and rust-axum not both measured in article")
    assert chosen["P4"] == (None, "primebench not measured in the convoy scenario")
    floor = target_checks.select_floor(doc)
    assert set(floor) == {"P3", "P3b", "P3-core"}
    assert floor["P3"] == [(None, (None, "scenario floor not in the document"))]
    judged, status = target_checks.check(doc)
    assert [r.target.id for r in judged] == ["P1", "P2", "P3", "P3b", "P3-core", "P4"]
    assert all(r.verdict is None for r in judged) and status == targets.EXIT_MISS


def test_a_recorded_comparison_is_used_as_it_is() -> None:
    doc = results.load(FIXTURE)
    article = doc.scenario("article")
    assert article is not None
    recorded = next(c for c in article.comparisons if c.comparison.contender == "primebench")
    p1 = replace(recorded.comparison, contender="python-jit", baseline="rust-axum")
    doc = replace(
        doc,
        scenarios=tuple(
            replace(s, comparisons=(replace(recorded, comparison=p1),)) if s is article else s
            for s in doc.scenarios
        ),
    )
    comparison, reason = target_checks.select(doc)["P1"]
    assert comparison is p1 and reason == ""


def test_a_comparison_with_another_baseline_is_paired_by_round() -> None:
    doc = results.load(FIXTURE)
    rps = {"python-jit": (75.0, 80.0, 70.0), "rust-axum": (74.0, 81.0, 69.0)}
    runs = {
        name: ok(
            name, 0.1, [point("n=20000", {"n": 20000}, [run(i, v, 1, 2) for i, v in enumerate(vs)])]
        )
        for name, vs in rps.items()
    }
    article = doc.scenario("article")
    assert article is not None
    doc = replace(
        doc,
        scenarios=tuple(
            replace(s, results=(*[r for r in s.results if r.contender not in runs], *runs.values()))
            if s is article
            else s
            for s in doc.scenarios
        ),
    )
    comparison, reason = target_checks.select(doc)["P1"]
    assert reason == "" and comparison is not None
    assert comparison.per_round == pytest.approx((75 / 74, 80 / 81, 70 / 69))
    assert comparison.noise_halfwidth == 0.022  # the point's A/A floor


def _with_floor(record: ScenarioRecord) -> results.Document:
    doc = results.load(FIXTURE)
    return replace(doc, scenarios=(*doc.scenarios, record))


def test_the_floor_targets_are_judged_at_each_count_and_pass_only_if_all_do() -> None:
    doc = _with_floor(floor_sweep())  # primebench / go-seed: 0.48, 0.65, 1.19 by count
    judged, status = target_checks.check(doc)
    by_id = {r.target.id: r for r in judged}
    assert [r.target.id for r in judged if r.target.id.startswith("P3@")] == [
        "P3@16",
        "P3@64",
        "P3@100",
        "P3@256",
    ]
    assert by_id["P3@16"].verdict is targets.TargetVerdict.MISS
    assert by_id["P3@100"].verdict is None
    assert "did not measure 100 connections (it measured 16, 64, 256)" in by_id["P3@100"].reason
    recorded = next(
        c.comparison
        for c in doc.scenario("floor").comparisons  # type: ignore[union-attr]
        if c.point == "c=256" and c.comparison.contender == "primebench"
    )
    assert by_id["P3@256"].ratio == recorded.ratio
    p3 = by_id["P3"]
    assert p3.verdict is targets.TargetVerdict.MISS and p3.ratio is None
    assert "passes only if every count passes (16: miss, 64: miss, 100: unmeasured" in p3.reason
    assert status == targets.EXIT_MISS
    # P3b: rust-axum did not run; P3-core: the bare core variant did not run, said so once
    assert by_id["P3b"].verdict is None
    assert [r.target.id for r in judged if r.target.id.startswith("P3b@")] == [
        "P3b@16",
        "P3b@64",
        "P3b@256",
    ]
    assert "P3-core@16" not in by_id and by_id["P3-core"].verdict is None
    assert f"{targets.BARE_CORE} (the bare app" in by_id["P3-core"].reason


def test_the_bare_core_target_is_judged_at_each_count_once_its_variant_ran() -> None:
    record = floor_sweep()

    def as_bare_core(keep: set[str]) -> ScenarioRecord:
        """go-seed#aa's figures as the bare core's, at the points `keep`."""
        return replace(
            record,
            results=tuple(
                replace(
                    r,
                    contender=targets.BARE_CORE if r.contender == "go-seed#aa" else r.contender,
                    points=tuple(p for p in r.points if p.key in keep),
                )
                for r in record.results
            ),
            comparisons=(),
        )

    judged, _ = target_checks.check(_with_floor(as_bare_core({"c=16", "c=64", "c=256"})))
    by_id = {r.target.id: r for r in judged}
    # primebench at about 0.48, 0.65 and 1.19 of it
    assert by_id["P3-core@16"].verdict is targets.TargetVerdict.MISS
    assert by_id["P3-core@256"].verdict is targets.TargetVerdict.PASS
    assert by_id["P3-core"].verdict is targets.TargetVerdict.MISS
    judged, _ = target_checks.check(_with_floor(as_bare_core({"c=256"})))
    by_id = {r.target.id: r for r in judged}
    assert by_id["P3-core"].verdict is targets.TargetVerdict.PASS
    assert by_id["P3-core"].reason.endswith("(256: pass)")


def test_the_bare_core_target_is_judged_by_its_own_twin_when_it_had_one() -> None:
    """--twin bare-httptools: P3-core's noise floor is the bare app's own A/A pair, not the
    noisier Go server's; without that twin it falls back to the point's (go-seed's) floor."""
    bare = targets.BARE_CORE
    level = {16: 100_000.0, 64: 100_000.0, 256: 100_000.0}
    rps = {
        "go-seed": {16: 50_000.0, 64: 50_000.0, 256: 50_000.0},
        "go-seed#aa": {16: 50_000.0, 64: 50_000.0, 256: 50_000.0},
        "primebench": {k: 0.97 * v for k, v in level.items()},
        bare: level,
        f"{bare}#aa": level,
    }
    noisy_go = {"go-seed": 0.06, "go-seed#aa": 0.06}
    record = floor_sweep(rps=rps, spread=noisy_go)
    own = record.noise_for("c=64", bare)
    floor = record.noise["c=64"]
    assert own is not None and own < 0.05 < floor
    by_id = {r.target.id: r for r in target_checks.check(_with_floor(record))[0]}
    assert by_id["P3-core"].verdict is targets.TargetVerdict.PASS
    without = replace(
        record,
        results=tuple(r for r in record.results if r.contender != f"{bare}#aa"),
        comparisons=tuple(c for c in record.comparisons if c.comparison.baseline != bare),
    )
    by_id = {r.target.id: r for r in target_checks.check(_with_floor(without))[0]}
    assert by_id["P3-core@64"].verdict is targets.TargetVerdict.INCONCLUSIVE
    assert f"within the A/A noise floor of {floor:.1%}" in by_id["P3-core@64"].reason


def test_a_floor_document_from_before_the_sweep_is_judged_at_its_one_count() -> None:
    record = floor_sweep()
    one = replace(
        record,
        settings={**record.settings, "connections": 100},
        results=tuple(
            replace(
                r,
                points=tuple(
                    replace(p, key="n=1", params={"n": 1}) for p in r.points if p.key == "c=256"
                ),
            )
            for r in record.results
        ),
        comparisons=tuple(
            replace(c, point="n=1") for c in record.comparisons if c.point == "c=256"
        ),
    )
    doc = _with_floor(one)
    assert target_checks.floor_counts(doc) == {100: "n=1"}
    judged, _ = target_checks.check(doc)
    by_id = {r.target.id: r for r in judged}
    assert by_id["P3@100"].ratio is not None and by_id["P3@16"].verdict is None
    assert by_id["P3@100"].verdict is targets.TargetVerdict.INCONCLUSIVE  # 1.19 straddles 1.2
