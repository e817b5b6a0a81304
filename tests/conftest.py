"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import Service, run_service


@pytest.fixture(scope="session")
def service() -> Iterator[Service]:
    """One default service for the read-only HTTP tests of a session (small pool, so concurrency is visible)."""
    with run_service("--workers", "1", "--pool-size", "1", "--queue-depth", "8") as running:
        yield running


