"""The P5/P6 probe: verdicts from fabricated documents (exact), and a short real run."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from primebench.cli import main
from primebench.errors import UserError
from primebench.lab.contenders import service_install
from primebench.lab.contenders.registry import Registry
from primebench.lab.host import resources
from primebench.lab.model.targets import TargetVerdict
from primebench.lab.run import service_targets

PASS, MISS, INCONCLUSIVE = TargetVerdict.PASS, TargetVerdict.MISS, TargetVerdict.INCONCLUSIVE


def _document(
    ratios: list[float],
    empty_s: Sequence[float | None] = (0.20, 0.28),
    warm_s: Sequence[float | None] = (0.10, 0.18),
    rss_mib: float | None = 50.0,
    aa: list[float] | None = None,
    failure: str = "",
) -> dict[str, Any]:
    """A probe document: round i has primecount alone 0.2 s and served 0.2 s * ratios[i]."""
    rounds = [
        {
            "index": i,
            "n": 10**12 - i,
            "order": ["served", "alone"],
            "served_s": 0.2 * r,
            "alone_s": 0.2,
            **({} if aa is None else {"alone_aa_s": 0.2 * aa[i]}),
        }
        for i, r in enumerate(ratios)
    ]
    starts = [
        {"index": i, "cache": cache, "startup_s": s, "failure": "" if s else "did not start: boom"}
        for cache, times in (("empty", empty_s), ("warm", warm_s))
        for i, s in enumerate(times)
    ]
    return {
        "kind": service_targets.KIND,
        "schema_version": service_targets.PROBE_SCHEMA_VERSION,
        "contender": "primebench",
        "seed": 5,
        "calibrate": aa is not None,
        "p5": {
            "rounds": rounds,
            "failure": failure,
            "largest_process_rss_bytes": None if rss_mib is None else int(rss_mib * 2**20),
        },
        "p6": {"starts": starts},
    }


STEADY = [1.0, 1.02, 0.98, 1.01, 0.99]


def test_all_pass() -> None:
    p5, empty, warm, rss = service_targets.judge(_document(STEADY))
    assert p5.target.id == "P5" and p5.verdict is PASS
    assert p5.ratio == pytest.approx(statistics.geometric_mean(STEADY))
    assert p5.ratio is not None and p5.ci_low is not None and p5.ci_high is not None
    assert 0.98 <= p5.ci_low < p5.ratio < p5.ci_high <= 1.02
    # P6 is judged on the worst cold start, not the median.
    # Issue 21: 0.3 s with an empty table cache, 0.2 s with a warm one.
    assert (empty.target.id, empty.verdict, empty.ratio) == ("P6", PASS, 0.28)
    assert empty.reason == "empty table cache: worst of 2 cold starts (best 0.200 s)"
    assert (warm.target.id, warm.verdict, warm.ratio) == ("P6-warm", PASS, 0.18)
    assert warm.reason.startswith("warm table cache: ")
    assert (rss.target.id, rss.verdict, rss.ratio) == ("P6-rss", PASS, 50.0)


def test_p5_inconclusive_and_miss() -> None:
    (straddles, *_) = service_targets.judge(_document([1.0, 1.4, 1.1, 1.3, 1.2]))
    assert straddles.verdict is INCONCLUSIVE and "straddles 1.2" in straddles.reason
    (missed, *_) = service_targets.judge(_document([1.5, 1.6, 1.55, 1.45, 1.5]))
    assert missed.verdict is MISS
    (few, *_) = service_targets.judge(_document([1.0, 1.0]))
    assert few.verdict is INCONCLUSIVE and few.ci_low is None


def test_p5_noise_floor_from_the_aa_arm() -> None:
    # Served is ~10 % faster than needed (1.08 vs <= 1.2), but primecount alone against
    # itself varies by far more than that: the pass is not claimed.
    ratios = [1.05, 1.1, 1.08, 1.07, 1.09]
    (alone,) = service_targets.judge(_document(ratios))[:1]
    assert alone.verdict is PASS
    noisy = _document(ratios, aa=[0.7, 1.3, 0.8, 1.25, 1.0])
    p5, aa = service_targets.p5_comparisons(noisy)
    assert aa is not None and p5 is not None
    assert aa.contender == "primecount-alone-aa" and aa.baseline == "primecount-alone"
    assert p5.noise_halfwidth is not None and p5.noise_halfwidth > 0.2
    (calibrated,) = service_targets.judge(noisy)[:1]
    assert calibrated.verdict is INCONCLUSIVE and "A/A noise floor" in calibrated.reason


def test_p6_worst_start_misses_and_failed_starts_are_misses() -> None:
    _, empty, warm, _ = service_targets.judge(
        _document(STEADY, empty_s=(0.3, 0.61, 0.2), warm_s=(0.1, None))
    )
    assert (empty.verdict, empty.ratio) == (MISS, 0.61)
    assert warm.verdict is MISS and warm.ratio is None
    assert warm.reason == "warm table cache: 1 of 2 cold starts failed: did not start: boom"


def test_rss_and_failures_are_data() -> None:
    *_, big = service_targets.judge(_document(STEADY, rss_mib=90.0))
    assert (big.verdict, big.ratio) == (MISS, 90.0)
    failed = _document([], rss_mib=None, failure="after 0 rounds: server died")
    p5, _, _, rss = service_targets.judge(failed)
    assert p5.verdict is None and p5.reason == "after 0 rounds: server died"
    assert rss.verdict is None and rss.reason == "not measured: after 0 rounds: server died"
    # A failure after some rounds keeps them, and says so.
    partial, *_ = service_targets.judge(_document(STEADY, failure="after 5 rounds: server died"))
    assert partial.verdict is PASS and partial.reason.endswith("after 5 rounds: server died")


def test_unknown_schema_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="schema_version"):
        service_targets.judge({**_document(STEADY), "schema_version": 1})
    path = tmp_path / "old.json"
    path.write_text(json.dumps({**_document(STEADY), "kind": "primebench-results"}))
    with pytest.raises(UserError, match="not a probe document"):
        service_targets.load(path)


@pytest.mark.parametrize(
    ("ratios", "status"),
    [(STEADY, 0), ([1.0, 1.4, 1.1, 1.3, 1.2], 3), ([1.5, 1.6, 1.55, 1.45, 1.5], 1)],
)
def test_check_exit_status_from_a_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ratios: list[float], status: int
) -> None:
    path = tmp_path / "service_targets.json"
    path.write_text(json.dumps(_document(ratios)))
    assert main(["probe", "--from", str(path), "--check"]) == status
    assert main(["probe", "--from", str(path)]) == 0
    assert capsys.readouterr().out.startswith("P5 ")


def test_an_install_that_cannot_be_built_fails_every_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P6 is a miss naming the cause, never a measurement of some other installation."""

    def refuse(checkout: Path, into: Path) -> None:
        raise service_install.InstallFailed("uv is not on PATH")

    monkeypatch.setattr(service_install, "install", refuse)
    settings = service_targets.ProbeSettings(Registry.load().get("primebench"), 0, seed=3, starts=2)
    contender, record = service_targets._p6_contender(settings, tmp_path)
    why = "the service install could not be built: uv is not on PATH"
    assert (contender, record) == (why, {"kind": "wheel", "failure": why})
    starts = service_targets._startups(contender, settings, tmp_path, tmp_path / "log")
    assert [s["failure"] for s in starts] == [f"filling the cache: {why}"] + [why] * 4
    document = _document([1.0, 1.0, 1.0])
    document["p6"]["starts"] = starts
    p6 = service_targets.judge(document)[1]
    assert p6.verdict is MISS and why in p6.reason


@pytest.mark.e2e
def test_probe_runs_the_real_service(tmp_path: Path) -> None:
    settings = service_targets.ProbeSettings(
        Registry.load().get("primebench"),
        min(resources.cpu_split().server),
        seed=11,
        huge_n=10**9,
        rounds=3,
        starts=1,
        calibrate=True,
    )
    out = tmp_path / "service_targets.json"
    document = service_targets.run_probe(settings, out)
    assert json.loads(out.read_text()) == document
    rounds = document["p5"]["rounds"]
    assert document["p5"]["failure"] == ""
    assert len(rounds) == 3
    assert len({r["n"] for r in rounds}) == 3  # a fresh n every round
    assert all(10**9 - 10**6 < r["n"] <= 10**9 for r in rounds)
    for r in rounds:
        assert sorted(r["order"]) == ["alone", "alone-aa", "served"]
        assert min(r["served_s"], r["alone_s"], r["alone_aa_s"]) > 0
        assert r["disturbance"]["cpus"] == [settings.cpu]
        assert isinstance(r["disturbed"], bool)
    install = document["p6"]["install"]  # the service install, as a deployment gets it
    assert install["kind"] == "wheel" and install["bytecode"] is True
    assert install["wheel"].startswith("primebench-")
    starts = document["p6"]["starts"]
    assert sorted(s["cache"] for s in starts) == ["empty", "warm"]
    for s in starts:
        assert s["failure"] == "" and 0 < s["startup_s"] < 30
        assert s["table_cache_files_after"] == []  # mapped from the package: none built
    assert document["p5"]["largest_process_rss_bytes"] > 0
    assert [r["target"]["id"] for r in document["targets"]] == ["P5", "P6", "P6-warm", "P6-rss"]
    # The stored verdicts are the ones the document's raw measurements give.
    assert [r.to_json() for r in service_targets.judge(document)] == document["targets"]
