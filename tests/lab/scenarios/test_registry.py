"""The registry: one ordered list of scenarios, a name looked up once, and a view for a
name this version does not know."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import pytest

from primebench.errors import UserError
from primebench.lab import scenarios
from primebench.lab.model import results
from primebench.lab.scenarios.base import Scenario
from primebench.lab.scenarios.single_point import SinglePointView
from tests.lab.golden_util import FIXTURE

#: Modules of the package that hold shared parts, not a scenario.
SHARED = {"base", "single_point"}


def test_names_in_the_order_of_the_help_and_of_heading_the_report() -> None:
    assert scenarios.NAMES == (
        "article",
        "floor",
        "sweep",
        "random-n",
        "convoy",
        "rate",
        "cores",
        "soak",
    )


def test_every_scenario_module_is_registered_once() -> None:
    """Adding a scenario is its module plus a line in SCENARIOS: this catches a forgotten line."""
    registered = {type(s) for s in scenarios.SCENARIOS}
    found = set()
    for info in pkgutil.iter_modules(scenarios.__path__):
        if info.name in SHARED:
            continue
        module = importlib.import_module(f"{scenarios.__name__}.{info.name}")
        found |= {
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, Scenario) and cls.__module__ == module.__name__
        }
    assert found == registered
    assert len(scenarios.SCENARIOS) == len(set(scenarios.NAMES)) == 8


def test_get_returns_the_registered_object() -> None:
    assert all(scenarios.get(s.name) is s for s in scenarios.SCENARIOS)
    assert scenarios.get(" floor ").name == "floor"  # as a comma-separated list spells it


def test_an_unknown_name_is_a_user_error_listing_the_valid_ones() -> None:
    with pytest.raises(UserError) as caught:
        scenarios.get("nope")
    assert str(caught.value) == (
        "unknown scenario 'nope'; valid scenarios: "
        "article, floor, sweep, random-n, convoy, rate, cores, soak"
    )


def test_every_scenarios_defaults_are_its_own() -> None:
    for scenario in scenarios.SCENARIOS:
        settings = scenario.defaults()
        assert settings.scenario is scenario and settings.name == scenario.name
        recorded = settings.to_json()
        assert (recorded["name"], recorded["description"]) == (scenario.name, scenario.description)


def test_a_newer_documents_unknown_scenario_is_shown_as_one_point() -> None:
    article = results.load(FIXTURE).scenario("article")
    assert article is not None
    future = dataclasses.replace(article, name="from-a-newer-version")
    shown = scenarios.view(future.name)
    assert isinstance(shown, SinglePointView) and not isinstance(shown, Scenario)
    assert not shown.beside_claims
    (table,) = shown.tables(future)
    assert table.title.startswith("from-a-newer-version: The article's run")
    assert [row[0] for row in table.rows] == [
        "node-seed",
        "go-seed",
        "go-seed#aa",
        "rust-axum",
        "python-seed",
        "primebench §",
    ]
    assert table.rows[0][1] == "55.0 (54.0–56.0)"  # 54, 55, 56 req/s in the fixture's rounds
    assert len(shown.charts(future)) == 2  # req/s and latency bars


def test_view_of_a_known_name_is_the_scenario() -> None:
    assert all(scenarios.view(s.name) is s for s in scenarios.SCENARIOS)
