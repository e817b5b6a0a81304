"""The results document: round trip, refusal of unknown versions, failures kept as data."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from primebench.errors import UserError
from primebench.lab.model import codec, results, stats
from primebench.lab.run.point_records import summarize_point
from primebench.lab.scenarios.base import Point
from tests.lab.golden_util import FIXTURE


def test_fixture_round_trips_unchanged(tmp_path: Path) -> None:
    doc = results.load(FIXTURE)
    out = tmp_path / "again.json"
    results.save(doc, out)
    assert json.loads(out.read_text()) == json.loads(FIXTURE.read_text())


def test_loader_refuses_an_unknown_schema_version(tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text())
    data["schema_version"] = results.SCHEMA_VERSION + 1
    path = tmp_path / "future.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match=r"schema_version 3; this primebench reads only 2"):
        results.load(path)


def test_loader_refuses_a_schema_1_document(tmp_path: Path) -> None:
    """Schema 1 (runs back to back, no rounds) cannot be read as interleaved rounds."""
    data = json.loads(FIXTURE.read_text())
    data["schema_version"] = 1
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match=r"schema_version 1; this primebench reads only 2"):
        results.load(path)


def test_loader_refuses_a_document_without_a_version(tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text())
    del data["schema_version"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match="schema_version None"):
        results.load(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ('{"kind": "something-else", "schema_version": 1}', "not a primebench results document"),
        ('{"kind": "primebench-results", "schema_version": 2}', "malformed"),
    ],
)
def test_loader_errors_are_user_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(UserError, match=message):
        results.load(path)


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read results file"):
        results.load(tmp_path / "nope.json")


def test_failures_are_recorded_as_data_not_zeros() -> None:
    article = results.load(FIXTURE).scenario("article")
    assert article is not None
    failed = article.result("rust-axum")
    assert failed is not None
    assert failed.status == "failed"
    assert "status 500" in failed.reason
    assert failed.points == ()  # no figure at all, rather than a 0 req/s
    unavailable = article.result("python-seed")
    assert unavailable is not None and unavailable.status == "unavailable"


def test_point_summary_is_the_median_of_runs() -> None:
    # The lab's own summary (point_records.summarize_point) of the fixture's three go-seed runs,
    # against figures worked out by hand from the runs (not the fixture's stored summary).
    article = results.load(FIXTURE).scenario("article")
    assert article is not None
    run = article.result("go-seed")
    assert run is not None
    runs = list(run.points[0].runs)
    assert [r.metric("req_per_s") for r in runs] == [46.0, 50.0, 62.0]
    point = summarize_point(Point("n=20000", "n=20000", {"n": 20000}, ()), runs, None)
    # median 50; |x - 50| = 4, 0, 12 -> MAD 4; spread 4 / 50 = 0.08 > 0.05: high
    assert point.summary["req_per_s"] == stats.Summary(50.0, 4.0, 0.08, 46.0, 62.0, 3, True)
    # peak RSS 50_000_000 + 1000 i for i = 0, 1, 2 -> median 50_001_000
    assert point.median("server_peak_rss_bytes") == 50_001_000.0
    assert point.median("cpu_s_per_request") == pytest.approx(9.5 / 500)  # 9.5 s / (50 * 10)
    # the stored summary the renderer tests read agrees with the lab's
    assert run.points[0].summary["req_per_s"] == point.summary["req_per_s"]


def test_rounds_comparisons_and_calibration_round_trip() -> None:
    article = results.load(FIXTURE).scenario("article")
    assert article is not None
    assert [r.order[0] for r in article.rounds] == ["primebench", "node-seed", "go-seed"]
    aa = next(c for c in article.comparisons if c.aa)
    assert (aa.comparison.contender, aa.comparison.ci_low, aa.comparison.ci_high) == (
        "go-seed#aa",
        0.98,
        1.022,
    )
    assert article.noise == {"n=20000": 0.022}
    twin = article.result("go-seed#aa")
    assert twin is not None and twin.arm == "aa"


def test_a_repeated_trial_is_kept_but_not_summarised() -> None:
    article = results.load(FIXTURE).scenario("article")
    assert article is not None
    node = article.result("node-seed")
    assert node is not None
    kinds = [(r.kind, r.index) for r in node.points[0].runs]
    assert kinds == [("measured", 0), ("repeated", 1), ("measured", 1), ("measured", 2)]
    assert node.points[0].summary["req_per_s"].count == 3
    assert node.points[0].median("req_per_s") == 55.0  # 54, 55, 56; the disturbed 31 not used


def test_contender_algorithm_is_optional_in_the_document() -> None:
    """Documents written before the field load with None and are written back without it."""
    info = results.load(FIXTURE).contenders[0]
    assert info.algorithm is None and "algorithm" not in codec.dump(info)
    sieve = dataclasses.replace(info, algorithm="sieve")
    assert codec.dump(sieve)["algorithm"] == "sieve"
    assert codec.parse(results.ContenderInfo, json.loads(json.dumps(codec.dump(sieve)))) == sieve


COMMITTED = sorted(
    p
    for p in Path(__file__).resolve().parents[3].joinpath("benchmarks", "results").rglob("*.json")
    if '"kind": "primebench-results"' in p.read_text(encoding="utf-8")[:200]
)


def test_committed_documents_are_found() -> None:
    """The round trip below must not pass by finding nothing."""
    assert len(COMMITTED) >= 5


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_every_committed_document_loads_and_saves_byte_for_byte(path: Path, tmp_path: Path) -> None:
    """The typed model reads every committed document and writes it back unchanged."""
    out = tmp_path / path.name
    results.save(results.load(path), out)
    assert out.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def _first_run(data: dict[str, Any]) -> dict[str, Any]:
    run: dict[str, Any] = data["scenarios"][0]["results"][0]["points"][0]["runs"][0]
    return run


@pytest.mark.parametrize(
    ("spoil", "where", "what"),
    [
        (lambda d: _first_run(d).update(kind="measurd"), ".points.0.runs.0.kind", "'measurd'"),
        (lambda d: _first_run(d).update(status="okay"), ".points.0.runs.0.status", "'okay'"),
        (
            lambda d: d["scenarios"][0]["results"][0]["points"][0].update(status="skiped"),
            "results.0.points.0.status",
            "'skiped'",
        ),
        (
            lambda d: d["scenarios"][0]["results"][0].update(status="unavailible"),
            "scenarios.0.results.0.status",
            "'unavailible'",
        ),
        (lambda d: d["scenarios"][0]["results"][0].update(arm="a/a"), "results.0.arm", "'a/a'"),
        (lambda d: d["contenders"][0]["artifact"].update(kind="docker"), "artifact.kind", "docker"),
        (lambda d: _first_run(d)["load"].update(req_per_s="50"), "load.req_per_s", "'50'"),
        (lambda d: _first_run(d).update(generator_bund=True), "runs.0.generator_bund", "True"),
        (lambda d: d["machine"].pop("cpu_model"), "machine.cpu_model", "Field required"),
        (lambda d: d.update(created_utc="yesterday"), "created_utc", "'yesterday'"),
        (lambda d: _first_run(d).update(index=-1), "runs.0.index", "greater than or equal to 0"),
        (lambda d: _first_run(d).update(load=None), "runs.0:", "must have its load"),
        (lambda d: _first_run(d).update(status="failed"), "runs.0:", "must say why"),
        (
            lambda d: d["scenarios"][0]["results"][0].update(reason="why not"),
            "scenarios.0.results.0:",
            "a reason exactly when not ok",
        ),
    ],
    ids=[
        "kind",
        "trial-status",
        "point-status",
        "arm-status",
        "arm",
        "artifact",
        "number",
        "unknown-key",
        "missing-key",
        "utc-stamp",
        "negative",
        "ok-without-load",
        "failed-without-reason",
        "ok-with-reason",
    ],
)
def test_a_malformed_field_is_a_user_error_naming_it(
    tmp_path: Path, spoil: Callable[[dict[str, Any]], object], where: str, what: str
) -> None:
    data = json.loads(FIXTURE.read_text())
    spoil(data)
    path = tmp_path / "spoilt.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match="malformed for schema_version 2") as caught:
        results.load(path)
    message = str(caught.value)
    assert where in message and what in message, message
