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

from primebench.lab.contenders import oracle, registry
from primebench.lab.contenders.registry import Contender
from primebench.lab.host import servers

__all__ = ["READY_PATH", "ready_check", "start", "wrong_answer"]

READY_N = 1
READY_PATH = f"/prime?n={READY_N}"
"""Cheap for every contender, and its answer (2) proves the server computes."""


def ready_check(status: int, body: bytes) -> bool:
    """The readiness answer to READY_PATH: 200 and prime 2."""
    if status != 200:
        return False
    try:
        return bool(json.loads(body).get("prime") == 2)
    except (ValueError, AttributeError):
        return False


def wrong_answer(status: int, body: bytes) -> str:
    """Why the answer to READY_PATH is a wrong answer, or "" when it is right or not one yet.

    A 200 whose JSON names a prime other than p(1) = 2 is final: a server that computes
    wrongly does not become right by waiting, so it is reported at once, naming the n, the
    body and the expected prime (the oracle's), rather than as "not ready" at the start
    deadline. Anything else that is not ready (another status, a body that is not a JSON
    object, as a proxy or a starting framework may send) is left to the deadline.
    """
    if status != 200:
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(data, dict) or "prime" not in data or ready_check(status, body):
        return ""
    expected = oracle.nth_prime(READY_N)
    shown = body[:200].decode("utf-8", "replace")
    return f"wrong answer: n={READY_N} answered {shown!r}, expected prime {expected}"


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
        wrong=wrong_answer,
    ) as running:
        yield running
