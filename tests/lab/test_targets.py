"""`--check`: the targets P1-P4 judged from a document, generator-bound ratios refused."""

from __future__ import annotations

import dataclasses

from primebench.lab import results, targets
from primebench.lab.targets import VerdictStatus
from tests.lab.golden_util import FIXTURE


def _verdicts() -> dict[str, targets.Verdict]:
    return {v.target.id: v for v in targets.check(results.load(FIXTURE))}


def test_unmeasurable_targets_are_not_passes() -> None:
    v = _verdicts()
    # python-jit is not in the fixture; rust-axum failed verification: no ratio for P1, P2.
    assert v["P1"].status is VerdictStatus.UNMEASURED
    assert "python-jit not measured" in v["P1"].detail
    assert v["P2"].status is VerdictStatus.UNMEASURED
    assert "rust-axum failed" in v["P2"].detail
    assert v["P3"].status is VerdictStatus.SKIPPED  # no floor scenario in the fixture
    # The fixture's convoy ran heavy n=20000, not the 10^12 the target is defined at.
    assert v["P4"].status is VerdictStatus.UNMEASURED
    assert "primebench not measured in convoy" in v["P4"].detail
    assert targets.exit_code(list(v.values())) == 1


def test_generator_bound_ratio_does_not_count() -> None:
    doc = results.load(FIXTURE)
    check = targets.throughput_ratio("article", "primebench", "node-seed")
    target = targets.Target("X", "article", "primebench / node-seed", ">=", 1.0, check)
    (verdict,) = targets.check(doc, [target])
    assert verdict.status is VerdictStatus.UNMEASURED
    assert "generator-bound" in verdict.detail


def test_pass_and_miss() -> None:
    doc = results.load(FIXTURE)
    ratio = targets.throughput_ratio("article", "node-seed", "go-seed")  # 55 / 50
    passing = targets.Target("A", "article", "node / go", ">=", 1.0, ratio)
    missing = dataclasses.replace(passing, id="B", threshold=2.0)
    verdicts = targets.check(doc, [passing, missing])
    assert [v.status for v in verdicts] == [VerdictStatus.PASS, VerdictStatus.MISS]
    assert verdicts[0].value is not None and abs(verdicts[0].value - 1.1) < 1e-9
    assert targets.exit_code(verdicts[:1]) == 0
    assert targets.exit_code(verdicts) == 1
    assert verdicts[1].line().startswith("B miss")


def test_nothing_judged_is_a_failure() -> None:
    assert targets.exit_code([]) == 1


def test_convoy_target_needs_the_heavy_n_it_is_defined_at() -> None:
    doc = results.load(FIXTURE)
    convoy = doc.scenario("convoy")
    assert convoy is not None
    ours = dataclasses.replace(convoy.results[0], contender="primebench")
    doc = dataclasses.replace(doc, scenarios=(dataclasses.replace(convoy, results=(ours,)),))
    (p4,) = [v for v in targets.check(doc) if v.target.id == "P4"]
    assert p4.status is VerdictStatus.UNMEASURED
    assert "--heavy-n primebench=1000000000000" in p4.detail
    # The same run at the target's heavy n is judged: p99 95 ms loaded vs 2 ms alone is a miss.
    value = targets.convoy_ratio("primebench", heavy_n=20000)(doc)
    assert value == 95.0 / 2.0
