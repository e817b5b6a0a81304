"""Bounded tool runs: a load generator, a build step or a version query, run to its end.

A tool runs in its own group (`processes.spawn`), is reaped with wait4() for its CPU
time, and is taken down by the same `processes.terminate_group` as a server when it
overruns its time; its stragglers never outlive it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from primebench.lab.host.processes import kill_stragglers, spawn, terminate_group

__all__ = ["Reaped", "Reaper", "ToolRun", "run_tool"]


@dataclass(frozen=True)
class ToolRun:
    """A finished (or killed) tool: a load generator, a build step, a version query."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float
    timed_out: bool

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


@dataclass(frozen=True)
class Reaped:
    """How a tool ended, from wait4(): its exit code and its rusage CPU time."""

    returncode: int
    """As `Popen.returncode`: the exit status, or -N when killed by signal N."""
    cpu_s: float
    """User + system time of the tool and the descendants it waited for."""


class Reaper:
    """Waits for a child in a thread with wait4(), the one call that also gives its rusage.

    A thread (not polling) so `wait(timeout)` returns the moment the child exits. The
    creator must not reap the child any other way (no `Popen.wait`).
    """

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._reaped: Reaped | None = None
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._reap, name=f"reap-{pid}", daemon=True)
        self._thread.start()

    def _reap(self) -> None:
        try:
            _, status, usage = os.wait4(self._pid, 0)
        except OSError as exc:  # recorded, raised by `reaped` in the caller's thread
            self._error = exc
            return
        cpu_s = usage.ru_utime + usage.ru_stime
        self._reaped = Reaped(os.waitstatus_to_exitcode(status), cpu_s)

    def wait(self, timeout_s: float | None) -> bool:
        """Wait up to `timeout_s` (None: without limit); True once the child is reaped."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    @property
    def reaped(self) -> Reaped:
        """The result; only after `wait` returned True."""
        if self._thread.is_alive():
            raise RuntimeError(f"process {self._pid} has not been reaped yet")
        if self._reaped is None:
            raise RuntimeError(f"wait4({self._pid}) failed") from self._error
        return self._reaped


def _read_spool(spool: IO[bytes]) -> str:
    spool.seek(0)
    return spool.read().decode("utf-8", "replace")


def _wait_or_stop(popen: subprocess.Popen[bytes], timeout_s: float) -> tuple[Reaped, bool]:
    """Reap the tool, taking its group down after `timeout_s` (or on any exception).

    Returns how it ended and whether it timed out. The group is killed even after a
    clean exit: a tool's stragglers must not outlive it.
    """
    reaper = Reaper(popen.pid)
    try:
        timed_out = not reaper.wait(timeout_s)
    finally:
        if reaper.wait(0):
            kill_stragglers(popen.pid)
        else:
            terminate_group(popen.pid, reaper.wait)
    reaped = reaper.reaped
    popen.returncode = reaped.returncode  # reaped by wait4: tell Popen
    return reaped, timed_out


def run_tool(
    argv: Sequence[str],
    *,
    cpus: frozenset[int] | None,
    timeout_s: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ToolRun:
    """Run a tool to completion in its own group, killed (group and all) after `timeout_s`.

    `cpu_s` is the tool's user + system time from wait4() rusage (it includes
    descendants the tool waited for). Output is spooled to files, so a chatty tool
    can never block on a full pipe. Raises FileNotFoundError if argv[0] is missing.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        popen = spawn(argv, cpus, cwd, env, out, err)
        reaped, timed_out = _wait_or_stop(popen, timeout_s)
        return ToolRun(
            argv=tuple(argv),
            returncode=reaped.returncode,
            stdout=_read_spool(out),
            stderr=_read_spool(err),
            wall_s=time.monotonic() - started,
            cpu_s=reaped.cpu_s,
            timed_out=timed_out,
        )
