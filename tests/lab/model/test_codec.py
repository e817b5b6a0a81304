"""Records to and from JSON values by their types: strict, closed, and errors that name the field."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from primebench.lab.model import codec
from primebench.lab.model.bench_records import CorePinning, Parallelism
from primebench.lab.model.contender_records import ArtifactSize, BuildOutcome
from primebench.lab.model.stats import Summary
from primebench.lab.model.vocabulary import ArtifactKind


def test_a_record_round_trips_through_json_text() -> None:
    size = ArtifactSize(1_900_000, ArtifactKind.BINARY, "binary", ("bin/server",))
    text = json.dumps(codec.dump(size))
    assert json.loads(text) == {
        "bytes": 1_900_000,
        "kind": "binary",
        "label": "binary",
        "paths": ["bin/server"],
        "missing": [],
    }
    assert codec.parse(ArtifactSize, json.loads(text)) == size


def test_summary_keeps_the_documents_short_names() -> None:
    summary = Summary(50.0, 4.0, 0.08, 46.0, 62.0, 3, True)
    data = codec.dump(summary)
    assert (data["min"], data["max"]) == (46.0, 62.0) and "minimum" not in data
    assert codec.parse(Summary, data) == summary


def test_reading_is_strict_json() -> None:
    """A number written as a string is an error, not converted; an int is a valid float."""
    with pytest.raises(ValidationError):
        codec.parse(Parallelism, {"cores": "2", "processes": 1, "threads": 4})
    assert codec.parse(BuildOutcome, {"ok": True, "seconds": 2, "reason": ""}).seconds == 2.0


def test_an_unknown_key_is_an_error() -> None:
    with pytest.raises(ValidationError) as caught:
        codec.parse(CorePinning, {"server": [0], "generator": [1], "shared": False, "cpus": 2})
    assert codec.explain(caught.value) == "cpus: Unexpected keyword argument (got 2)"


def test_explain_names_every_field_up_to_a_limit() -> None:
    with pytest.raises(ValidationError) as caught:
        codec.parse(Parallelism, {"cores": "x" * 100, "processes": None})
    message = codec.explain(caught.value, limit=2)
    assert message.startswith("cores: Input should be a valid integer (got 'xxxx")
    assert "…" in message  # a long input is cut short
    assert "processes: Input should be a valid integer (got None)" in message
    assert message.endswith("; and 1 more")  # threads: missing
