"""The hand-written JSON schema and the results model agree (fast tier: no bench needed)."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema_rs

from primebench.lab.model import results
from tests.lab.golden_util import FIXTURE

SCHEMA = json.loads(
    resources.files("primebench.lab.model").joinpath("results.schema.json").read_text()
)


def test_schema_is_for_the_models_version() -> None:
    assert SCHEMA["properties"]["schema_version"] == {"const": results.SCHEMA_VERSION}


def test_fixture_written_by_the_model_validates() -> None:
    data = results.load(FIXTURE).to_json()
    errors = [str(e) for e in jsonschema_rs.validator_for(SCHEMA).iter_errors(data)]
    assert errors == []


def test_every_key_the_model_writes_is_declared() -> None:
    """additionalProperties=false: a field added to the model but not the schema fails here."""
    data = results.load(FIXTURE).to_json()
    scenario = data["scenarios"][0]
    run = scenario["results"][0]
    declared = SCHEMA["$defs"]
    assert set(data) == set(SCHEMA["properties"])
    assert set(scenario) == set(declared["scenario"]["properties"])
    assert set(run) == set(declared["contender_run"]["properties"])
    assert set(run["points"][0]) == set(declared["point"]["properties"])
    assert set(run["points"][0]["runs"][0]) == set(declared["run"]["properties"])


def test_a_contender_with_its_algorithm_validates() -> None:
    data = results.load(FIXTURE).to_json()
    data["contenders"][0]["algorithm"] = "sieve"
    assert [str(e) for e in jsonschema_rs.validator_for(SCHEMA).iter_errors(data)] == []
    data["contenders"][0]["algorithm"] = 3
    assert len(list(jsonschema_rs.validator_for(SCHEMA).iter_errors(data))) == 1
