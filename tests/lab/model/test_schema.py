"""The JSON schema is generated from the results model, and the committed file is current."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema_rs
import pytest

from primebench.errors import UserError
from primebench.lab.model import results, results_schema
from tests.lab.golden_util import FIXTURE

SCHEMA = json.loads(
    resources.files("primebench.lab.model").joinpath("results.schema.json").read_text()
)


def test_schema_is_for_the_models_version() -> None:
    assert SCHEMA["properties"]["schema_version"] == {"const": results.SCHEMA_VERSION}


def test_committed_schema_is_the_one_generated_from_the_model() -> None:
    """A field added to the model changes the generated schema: regenerate, review, commit."""
    committed = resources.files("primebench.lab.model").joinpath("results.schema.json")
    assert committed.read_text() == results_schema.text(), (
        "results.schema.json is stale: uv run python -m primebench.lab.model.results_schema"
    )


def test_fixture_written_by_the_model_validates() -> None:
    data = results.load(FIXTURE).to_json()
    errors = [str(e) for e in jsonschema_rs.validator_for(SCHEMA).iter_errors(data)]
    assert errors == []


def test_every_key_the_model_writes_is_declared() -> None:
    """Every record is closed (additionalProperties false) and lists exactly what is written."""
    data = results.load(FIXTURE).to_json()
    scenario = data["scenarios"][0]
    run = scenario["results"][0]
    declared = SCHEMA["$defs"]
    assert set(data) == set(SCHEMA["properties"]) == set(SCHEMA["required"])
    assert set(scenario) == set(declared["ScenarioRecord"]["properties"])
    assert set(run) == set(declared["ContenderRun"]["properties"])
    assert set(run["conformance"]) == set(declared["Conformance"]["properties"])
    # The fixture predates early-stopping rounds: `stopping` is optional, absent there.
    assert set(run["points"][0]) == set(declared["PointRecord"]["properties"]) - {"stopping"}
    soak_only = {"processes"}  # a trial's processes apart: written by the soak scenario alone
    assert set(run["points"][0]["runs"][0]) == set(declared["RunRecord"]["properties"]) - soak_only
    assert set(scenario["comparisons"][0]) == set(declared["ComparisonAtPoint"]["properties"])
    records = {name: d for name, d in declared.items() if d.get("type") == "object"}
    assert {n for n, d in records.items() if d.get("additionalProperties") is not False} == set()
    optional = {
        (n, key) for n, d in records.items() for key in set(d["properties"]) - set(d["required"])
    }
    # Absent from documents written before them (and `processes` outside the soak).
    assert optional == {
        ("ContenderInfo", "algorithm"),
        ("RunRecord", "processes"),
        ("PointRecord", "stopping"),
    }


@pytest.mark.parametrize(
    ("record", "field", "words"),
    [
        ("RunRecord", "kind", ["warmup", "measured", "probe", "repeated"]),
        ("RunRecord", "status", ["ok", "failed"]),
        ("PointRecord", "status", ["ok", "failed", "skipped"]),
        ("ContenderRun", "status", ["ok", "failed", "unavailable"]),
        ("ContenderRun", "arm", ["contender", "aa", "target"]),
        ("LoadResult", "tool", ["autocannon", "wrk", "oha"]),
    ],
)
def test_closed_vocabularies_are_enums_in_the_schema(
    record: str, field: str, words: list[str]
) -> None:
    assert SCHEMA["$defs"][record]["properties"][field]["enum"] == words


def test_a_misspelt_word_fails_the_schema_too() -> None:
    data = json.loads(FIXTURE.read_text())
    data["scenarios"][0]["results"][0]["points"][0]["runs"][0]["kind"] = "measurd"
    errors = [str(e) for e in jsonschema_rs.validator_for(SCHEMA).iter_errors(data)]
    assert len(errors) == 1 and '"measurd" is not one of' in errors[0]


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("trial", {"status": "failed", "reason": ""}),
        ("trial", {"load": None}),
        ("arm", {"status": "failed", "reason": ""}),
        ("arm", {"reason": "ok, but says why"}),
    ],
)
def test_the_reason_rules_are_in_the_schema(where: str, change: dict[str, object]) -> None:
    """What the model's validators refuse, the generated schema refuses too (its if/then)."""
    data = json.loads(FIXTURE.read_text())
    arm = data["scenarios"][0]["results"][0]
    (arm if where == "arm" else arm["points"][0]["runs"][0]).update(change)
    errors = list(jsonschema_rs.validator_for(SCHEMA).iter_errors(data))
    assert len(errors) == 1


def test_check_flag_fails_on_a_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "results.schema.json"
    stale.write_text("{}\n")
    monkeypatch.setattr(results_schema, "PATH", stale)
    assert results_schema.main(["--check"]) == 1
    assert "is stale" in capsys.readouterr().out
    assert results_schema.main([]) == 0
    assert results_schema.main(["--check"]) == 0
    assert stale.read_text() == results_schema.text()


def test_a_contender_with_its_algorithm_validates() -> None:
    data = json.loads(FIXTURE.read_text())
    data["contenders"][0]["algorithm"] = "sieve"
    assert [str(e) for e in jsonschema_rs.validator_for(SCHEMA).iter_errors(data)] == []
    data["contenders"][0]["algorithm"] = 3
    assert len(list(jsonschema_rs.validator_for(SCHEMA).iter_errors(data))) == 1


def test_a_misspelt_metric_fails_the_schema_and_the_loader(tmp_path: Path) -> None:
    """A point's summary is keyed by the closed metric vocabulary (`vocabulary.Metric`)."""
    data = json.loads(FIXTURE.read_text())
    summary = data["scenarios"][0]["results"][0]["points"][0]["summary"]
    summary["req_per_sec"] = summary.pop("req_per_s")
    errors = [str(e) for e in jsonschema_rs.validator_for(SCHEMA).iter_errors(data)]
    assert len(errors) == 1 and "req_per_sec" in errors[0]
    path = tmp_path / "misspelt.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match=r"summary\.req_per_sec"):
        results.load(path)
