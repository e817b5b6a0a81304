"""The cores a point runs its server on: its own count (cores scenario), else the bench's."""

from __future__ import annotations

import os

from primebench.lab.host.resources import cores_pinning
from primebench.lab.run.arm_servers import point_pinning
from primebench.lab.scenarios.base import Point


def test_a_point_without_its_own_cores_runs_on_the_benchs() -> None:
    assert point_pinning(None) is None
    assert point_pinning(Point("n=1", "n=1", {"n": 1}, ())) is None


def test_a_point_with_a_core_count_gets_the_lowest_usable_cores() -> None:
    usable = frozenset(os.sched_getaffinity(0))
    point = Point("cores=1", "1 server core", {"cores": 1}, (), server_cores=1)
    pinned = point_pinning(point)
    assert pinned == cores_pinning(1, usable)
    assert pinned is not None and pinned.server == frozenset({min(usable)})
