"""The lab's scenarios as objects: one module each, owning everything about it.

Each module (`article`, `floor`, `sweep`, `random_n`, `convoy`, `rate`, `cores`, `soak`) holds one
`Scenario`: its description, defaults, plan, generators, pre-steps, what it compares, its
tables and charts. `SCENARIOS` is the one ordered list of them (the order of `--scenario`'s
help, and of preference for heading the report); adding a scenario is one module here
plus a line in that list. The run asks a settings object for its `scenario`, the pages
ask `view(name)` for a document's: nothing else tests a scenario's name.

Imports the model and the render building blocks only (and is imported by the run and
the pages): a plan is data, a view is a pure function of a document.
"""

from __future__ import annotations

from primebench.errors import UserError
from primebench.lab.scenarios.article import Article
from primebench.lab.scenarios.base import (
    Point,
    Scenario,
    ScenarioSettings,
    ScenarioView,
    Stream,
)
from primebench.lab.scenarios.convoy import Convoy
from primebench.lab.scenarios.cores import Cores
from primebench.lab.scenarios.floor import Floor
from primebench.lab.scenarios.random_n import RandomN
from primebench.lab.scenarios.rate import Rate
from primebench.lab.scenarios.single_point import SinglePointView
from primebench.lab.scenarios.soak import Soak
from primebench.lab.scenarios.sweep import Sweep

__all__ = [
    "NAMES",
    "SCENARIOS",
    "Point",
    "Scenario",
    "ScenarioSettings",
    "ScenarioView",
    "Stream",
    "get",
    "view",
]

SCENARIOS: tuple[Scenario, ...] = (
    Article(),
    Floor(),
    Sweep(),
    RandomN(),
    Convoy(),
    Rate(),
    Cores(),
    Soak(),
)

NAMES: tuple[str, ...] = tuple(s.name for s in SCENARIOS)

_BY_NAME = {s.name: s for s in SCENARIOS}

#: A scenario this version does not know (from a newer document) is shown as one point.
UNKNOWN = SinglePointView()


def get(name: str) -> Scenario:
    """The scenario `--scenario NAME` runs; raises `UserError` naming the valid ones."""
    found = _BY_NAME.get(name.strip())
    if found is None:
        raise UserError(f"unknown scenario {name!r}; valid scenarios: {', '.join(NAMES)}")
    return found


def view(name: str) -> ScenarioView:
    """How a document's scenario `name` is shown; an unknown name as a single point."""
    return _BY_NAME.get(name, UNKNOWN)
