"""P1-P4 are judged on comparisons picked (or paired by round) from a bench document."""

from __future__ import annotations

from dataclasses import replace

import pytest

from primebench.lab.model import results
from primebench.lab.render import target_checks
from tests.lab.fixtures.make_results import ok, point, run
from tests.lab.golden_util import FIXTURE


def test_fixture_has_none_of_p1_to_p4_and_says_why() -> None:
    chosen = target_checks.select(results.load(FIXTURE))
    assert set(chosen) == {"P1", "P2", "P3", "P4"}
    assert chosen["P1"] == (None, "python-jit and rust-axum not both measured in article")
    assert chosen["P3"] == (None, "scenario floor not in the document")
    assert chosen["P4"] == (None, "primebench not measured in the convoy scenario")


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
