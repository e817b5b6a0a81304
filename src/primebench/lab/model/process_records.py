"""What one server process held at one moment: the soak scenario's per-process memory.

A server is a tree (granian's main process, its workers, each worker's pool), and memory
that grows in one of them is hidden by the others in a tree total: a worker leaking 2.7
KiB per request beside a flat main and pool. So the soak records each process apart, by
pid and role, at the end of every window (`RunRecord.processes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import ConfigDict, NonNegativeInt

from primebench.lab.model.vocabulary import RECORD_CONFIG, ProcessRole

__all__ = ["ProcessMemory"]


@dataclass(frozen=True)
class ProcessMemory:
    """One process of a server's tree: its pid, parent pid, role, and resident set size.

    `parent` is None for the process the lab started (its parent is the lab).
    """

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    pid: NonNegativeInt
    parent: NonNegativeInt | None
    role: ProcessRole
    rss_bytes: NonNegativeInt
