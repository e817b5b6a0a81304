"""resources: how the cores are split between the server and the load generator."""

from __future__ import annotations

import pytest

from primebench.lab.host import resources


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
