"""Process groups: how every child of the lab is started and taken down.

Why one module: a benchmark that leaks a server keeps burning a core and skews the
next run. So every child (a server under test in `servers`, a load generator or build
step in `tool_runs`) is started here from an argv list (never a shell) in its own
session and process group, optionally pinned to a set of cores, and taken down by the
one shutdown helper, `terminate_group`: SIGTERM -> wait -> SIGKILL to its whole group
and every descendant, on any exit, including an exception or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import psutil

from primebench.lab.host.resources import process_tree

__all__ = [
    "STOP_GRACE_S",
    "interrupt_on_sigterm",
    "kill_group",
    "kill_stragglers",
    "popen_waiter",
    "spawn",
    "terminate_group",
]

STOP_GRACE_S = 5.0
"""How long a child gets to exit after SIGTERM before SIGKILL."""


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """Inside the block, SIGTERM to the lab raises KeyboardInterrupt, so cleanups run.

    By default SIGTERM kills Python without running `finally` blocks, which would
    leave every started server behind. Only the main thread can set handlers;
    elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _pinned(argv: Sequence[str], cpus: frozenset[int] | None) -> list[str]:
    """Prefix `taskset -c` so the pinning holds from the first instruction (threads included).

    taskset execs the command, so the pid is the program's own. (A `preexec_fn`
    would do the same in Python, but is unsafe while the lab's sampler threads run.)
    """
    if not cpus:
        return list(argv)
    return ["taskset", "-c", ",".join(str(c) for c in sorted(cpus)), *argv]


def _running(proc: psutil.Process) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for init to reap it, maybe for seconds)."""
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _group_members(pgid: int) -> list[psutil.Process]:
    """Every live process in the group, including orphans a crashed leader left behind."""
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid:
                members.append(proc)
        except (OSError, psutil.Error):
            continue
    return members


def _ours(pgid: int) -> list[psutil.Process]:
    """The leader's descendants plus its group's members, each once."""
    found = {p.pid: p for p in process_tree(pgid)}
    for proc in _group_members(pgid):
        found.setdefault(proc.pid, proc)
    return list(found.values())


def _wait_gone(procs: Sequence[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """Poll until every process is gone (or a zombie); returns the survivors."""
    end = time.monotonic() + timeout_s
    pending = [p for p in procs if _running(p)]
    while pending and time.monotonic() < end:
        time.sleep(0.01)
        pending = [p for p in pending if _running(p)]
    return pending


def _signal_all(pgid: int, procs: Sequence[psutil.Process], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
    for proc in procs:  # descendants that left the group (setsid) are still ours
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)


def terminate_group(
    pgid: int, wait_leader: Callable[[float | None], bool], grace_s: float = STOP_GRACE_S
) -> None:
    """SIGTERM the group and every descendant, wait up to `grace_s`, SIGKILL what is left.

    `pgid` is the leader's pid (children start with `start_new_session=True`).
    `wait_leader(timeout)` waits for the leader to be reaped (None: without limit) and
    says whether it was: `Popen.wait` for a server, the wait4 reaper for a tool; the one
    that started the leader must reap it. Safe on a leader that already exited: its group
    may still hold children (a server whose master crashed leaves its workers behind).
    """
    procs = _ours(pgid)
    _signal_all(pgid, procs, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    leader_gone = wait_leader(grace_s)
    others = [p for p in procs if p.pid != pgid]
    survivors = _wait_gone(others, max(0.0, deadline - time.monotonic()))
    if not leader_gone or survivors:
        late = [p for p in _ours(pgid) if p.pid != pgid]
        _signal_all(pgid, survivors + late, signal.SIGKILL)
        wait_leader(None)
        _wait_gone(survivors + late, grace_s)
    kill_stragglers(pgid)


def kill_group(pgid: int) -> None:
    """SIGKILL the group and every descendant at once, without the SIGTERM and its grace.

    For a child known to be stuck (a server computing a request the lab gave up on): a
    graceful stop would wait for that request until the grace ran out (uvicorn does), so
    SIGTERM would only cost `STOP_GRACE_S`. Whoever started the leader still reaps it, and
    `terminate_group` afterwards finds nothing left to wait for.
    """
    _signal_all(pgid, _ours(pgid), signal.SIGKILL)


def popen_waiter(popen: subprocess.Popen[Any]) -> Callable[[float | None], bool]:
    """`terminate_group`'s leader waiter for a child started with Popen (text or bytes)."""

    def wait(timeout_s: float | None) -> bool:
        try:
            popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    return wait


def kill_stragglers(pgid: int) -> None:
    """SIGKILL anything born in the group after the last look (or left by a finished tool)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def spawn(
    argv: Sequence[str],
    cpus: frozenset[int] | None,
    cwd: Path | None,
    env: Mapping[str, str] | None,
    stdout: IO[bytes],
    stderr: IO[bytes] | int,
) -> subprocess.Popen[bytes]:
    """Start argv (pinned, no shell, stdin closed) as the leader of a new session and group."""
    return subprocess.Popen(
        _pinned(argv, cpus),
        cwd=cwd,
        env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )
