"""The load generators the lab knows, by name: data a scenario's plan and a results
document both use, so it lives in the model (how each tool is run is `run.loadgen`)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Generator"]


class Generator(StrEnum):
    """The load generators the lab knows."""

    AUTOCANNON = "autocannon"
    WRK = "wrk"
    OHA = "oha"
