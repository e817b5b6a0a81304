"""resources: how the cores are split between the server and the load generator, and the
cores for a point that has its own server core count (the cores scenario)."""

from __future__ import annotations

import pytest

from primebench.errors import UserError
from primebench.lab.host import resources
from primebench.lab.host.resources import cores_pinning


def test_cpu_split_defaults_and_override() -> None:
    assert resources.cpu_split(frozenset({0, 1})) == resources.Pinning(
        frozenset({0}), frozenset({1}), shared=False
    )
    assert resources.cpu_split(frozenset({0, 1, 2, 3}), server_cores=1).generator == frozenset(
        {1, 2, 3}
    )
    assert resources.cpu_split(frozenset({5})).shared
    with pytest.raises(ValueError, match="server_cores"):
        resources.cpu_split(frozenset({0, 1}), server_cores=2)


def test_cores_pinning_shares_only_when_no_core_is_left() -> None:
    one = cores_pinning(1, frozenset({0, 1}))
    two = cores_pinning(2, frozenset({0, 1}))
    assert (one.server, one.generator, one.shared) == (frozenset({0}), frozenset({1}), False)
    assert (two.server, two.generator, two.shared) == (frozenset({0, 1}), frozenset({0, 1}), True)
    three = cores_pinning(3, frozenset({0, 1, 2, 3}))
    assert (three.server, three.generator) == (frozenset({0, 1, 2}), frozenset({3}))


def test_cores_pinning_takes_the_lowest_usable_cores() -> None:
    pinned = cores_pinning(2, frozenset({3, 5, 7}))
    assert (pinned.server, pinned.generator) == (frozenset({3, 5}), frozenset({7}))


@pytest.mark.parametrize("count", [0, 3])
def test_cores_pinning_refuses_counts_the_machine_does_not_give(count: int) -> None:
    with pytest.raises(UserError, match=rf"--server-cores {count}: this machine gives 1..2 cores"):
        cores_pinning(count, frozenset({0, 1}))
