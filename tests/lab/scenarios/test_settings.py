"""A scenario's settings: checked where they are made, and recorded as the document has them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from primebench.errors import UserError
from primebench.lab.scenarios import get

RESULTS = Path(__file__).resolve().parents[3] / "benchmarks" / "results"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rounds": 0}, "--rounds must be >= 1"),
        ({"warmup_s": -1.0}, "--warmup must be >= 0 s"),
        ({"duration_s": 0.0}, "--duration must be > 0 s"),
        ({"connections": 0}, "--connections must be >= 1"),
        ({"heavy_n": 0}, "--heavy-n"),
        ({"light_rate": 0.0}, "--light-rate must be > 0"),
        ({"server_cores": (0,)}, "--server-cores must be >= 1"),
    ],
)
def test_bad_settings_are_user_errors(change: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        replace(get("floor").defaults(), **change)  # type: ignore[arg-type]


def test_heavy_n_per_contender() -> None:
    convoy = replace(get("convoy").defaults(), heavy_n=30000, heavy_n_for={"primebench": 10})
    assert (convoy.heavy_n_of("go-seed"), convoy.heavy_n_of("primebench")) == (30000, 10)


def test_recorded_settings_have_the_committed_documents_keys_and_descriptions() -> None:
    """The `scenario.settings` of the documents under benchmarks/results, as written."""
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESULTS.glob("*.json"))]
    benches = [d for d in documents if "scenarios" in d]  # not the probe's or others' kinds
    assert len(benches) >= 4, RESULTS
    for doc in benches:
        path = doc["created_utc"]
        for recorded in doc["scenarios"]:
            defaults = get(recorded["name"]).defaults()
            if recorded["settings"].get("rounds_rule") == "auto":  # --rounds auto adds its rule
                defaults = replace(defaults, auto_rounds=True)
            if "budget_s" not in recorded["settings"]:  # written before --budget, or none
                defaults = replace(defaults, budget_s=None)
            ours = defaults.to_json()
            assert list(ours) == list(recorded["settings"]), path
            assert ours["description"] == recorded["settings"]["description"], path
