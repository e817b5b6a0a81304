"""Starting a contender's server: its manifest's argv and environment on a free loopback
port, pinned to the given cores, ready at its first correct answer.

The one way the lab starts a contender (verify, bench, probe): readiness is the answer
to READY_PATH, not an open port, so start-up time runs from spawn to the first answer a
client could use, and a server that listens but answers wrongly never counts as started.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

from primebench.lab.contenders import registry
from primebench.lab.contenders.registry import Contender
from primebench.lab.host import servers

__all__ = ["READY_PATH", "ready_check", "start"]

READY_PATH = "/prime?n=1"
"""Cheap for every contender, and its answer (2) proves the server computes."""


def ready_check(status: int, body: bytes) -> bool:
    """The readiness answer to READY_PATH: 200 and prime 2."""
    if status != 200:
        return False
    try:
        return bool(json.loads(body).get("prime") == 2)
    except (ValueError, AttributeError):
        return False


@contextlib.contextmanager
def start(
    c: Contender,
    *,
    cpus: frozenset[int] | None,
    host: str = "127.0.0.1",
    deadline_s: float = 30.0,
    log: Path | None = None,
) -> Iterator[servers.RunningServer]:
    """Start a contender on a free port, ready once it answers READY_PATH correctly; always stopped after."""
    port = servers.free_port(host)
    cores = len(cpus) if cpus else None  # `{cores}`/CORES: the cores it is pinned to
    with servers.server(
        registry.run_argv(c, host, port, cores=cores),
        cwd=c.directory,
        env=registry.run_env(c, host, port, cores=cores),
        host=host,
        port=port,
        cpus=cpus,
        ready_path=READY_PATH,
        ready_check=ready_check,
        deadline_s=deadline_s,
        log=log,
    ) as running:
        yield running
