"""A fixture for the process tests: a test that leaves a live child behind fails."""

from __future__ import annotations

from collections.abc import Iterator

import psutil
import pytest


@pytest.fixture
def no_leftover_children() -> Iterator[None]:
    yield
    leftovers = [
        p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE
    ]
    assert not leftovers, f"processes left behind: {leftovers}"
