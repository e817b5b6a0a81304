"""The small fixture document's scenarios, for the scenarios' table and chart tests."""

from __future__ import annotations

import dataclasses

from primebench.lab.model import results
from primebench.lab.model.results import ScenarioRecord
from tests.lab.golden_util import FIXTURE


def recorded(name: str) -> ScenarioRecord:
    found = results.load(FIXTURE).scenario(name)
    assert found is not None, name
    return found


def article_as(name: str) -> ScenarioRecord:
    """The fixture's article record under another one-point scenario's name (the fixture
    has no floor or random-n run; their view is the same single-point one)."""
    return dataclasses.replace(recorded("article"), name=name)
