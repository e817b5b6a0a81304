"""Servers under test: started in their own group, ready when they answer correctly.

A server is ready at its first correct answer, probed with a deadline while checking it
is still alive (a fixed `sleep` would measure noise or wait for a corpse), and its whole
group is taken down (`processes.terminate_group`) however the block ends.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

import psutil

from primebench.lab.host import loopback
from primebench.lab.host.processes import kill_group, popen_waiter, spawn, terminate_group
from primebench.lab.host.resources import SAMPLE_INTERVAL_S, ResourceMeter, process_tree

__all__ = ["RunningServer", "ServerFailed", "WrongAnswer", "free_port", "server"]

TAIL_BYTES = 4000
# Readiness is asked this often until the server listens, so `startup_s` is late by at most
# this much: P6 judges start-up against 0.2-0.3 s. (A back-off to 0.1 s, used before, made a
# server listening at 0.16 s look ready at 0.255 s.) A refused loopback connect costs the
# prober ~0.1 ms of CPU: 2 % of a core while it waits.
READY_POLL_S = 0.005


class ServerFailed(Exception):
    """A server died or gave no correct answer before its deadline."""

    def __init__(self, reason: str, stderr_tail: str = "") -> None:
        super().__init__(
            reason if not stderr_tail else f"{reason}\n--- output tail ---\n{stderr_tail}"
        )
        self.reason = reason
        self.stderr_tail = stderr_tail


class WrongAnswer(ServerFailed):
    """The server answered, wrongly: it started, but is not a server to measure."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the kernel's choice; tiny race accepted)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - TAIL_BYTES))
            return fh.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


class RunningServer:
    """A started, ready server. Created by `server()`, which owns its lifetime."""

    def __init__(self, popen: subprocess.Popen[bytes], host: str, port: int, log: Path) -> None:
        self._popen = popen
        self.host = host
        self.port = port
        self.log = log
        self.startup_s = 0.0

    @property
    def pid(self) -> int:
        return self._popen.pid

    def alive(self) -> bool:
        return self._popen.poll() is None

    def returncode(self) -> int | None:
        return self._popen.poll()

    def tree(self) -> list[psutil.Process]:
        """The leader and all its live descendants (workers, thread pools are threads)."""
        return process_tree(self._popen.pid)

    def stderr_tail(self) -> str:
        """The end of the server's combined stdout and stderr."""
        return _tail(self.log)

    def resource_sampler(self, interval_s: float = SAMPLE_INTERVAL_S) -> ResourceMeter:
        """`with running.resource_sampler() as meter: ...`, then `meter.usage`."""
        return ResourceMeter(self._popen.pid, interval_s)

    def kill(self) -> None:
        """Kill a server stuck on a request now (`processes.kill_group`); `server()` reaps it.

        Its graceful stop would wait for that request until the grace period ended in
        SIGKILL anyway: 5 s for each fastapi arm restarted after the huge-n probe.
        """
        kill_group(self._popen.pid)


def _await_ready(
    running: RunningServer,
    popen: subprocess.Popen[bytes],
    ready_path: str,
    ready_check: Callable[[int, bytes], bool],
    deadline_s: float,
    started: float,
    wrong: Callable[[int, bytes], str] | None = None,
) -> None:
    deadline = started + deadline_s
    last = "no answer yet"
    while True:
        if popen.poll() is not None:
            raise ServerFailed(
                f"exited with code {popen.returncode} before it was ready", running.stderr_tail()
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ServerFailed(f"not ready within {deadline_s:g} s ({last})", running.stderr_tail())
        try:
            answer = loopback.get(
                running.host, running.port, ready_path, timeout_s=min(5.0, remaining)
            )
        except loopback.RequestFailed as exc:
            last = exc.reason
        else:
            if ready_check(answer.status, answer.body):
                running.startup_s = time.monotonic() - started
                return
            if wrong is not None and (problem := wrong(answer.status, answer.body)):
                raise WrongAnswer(problem, running.stderr_tail())
            last = f"last answer {answer.status} {answer.body[:80]!r}"
        # Waiting on the process (not sleeping) wakes us at once if it dies.
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=min(READY_POLL_S, max(0.0, deadline - time.monotonic())))


@contextlib.contextmanager
def server(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    host: str,
    port: int,
    cpus: frozenset[int] | None,
    ready_path: str,
    ready_check: Callable[[int, bytes], bool],
    deadline_s: float = 30.0,
    log: Path | None = None,
    wrong: Callable[[int, bytes], str] | None = None,
) -> Iterator[RunningServer]:
    """Start a server, wait until it answers correctly, yield it, always take it down.

    `startup_s` runs from spawn to the first answer accepted by `ready_check`. `wrong`
    tells an answer that will never become right (a wrong prime) from one that is not
    ready yet (a 503, a connection refused): its non-empty reason fails the start at once
    instead of at the deadline, as `WrongAnswer`.
    stdout and stderr go to `log` (a temporary file when None). Raises
    `ServerFailed` if it exits or misses `deadline_s`; the group is gone either way.
    """
    with contextlib.ExitStack() as stack:
        if log is None:
            tmpdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="primebench-server-"))
            log = Path(tmpdir) / "server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        out: IO[bytes] = stack.enter_context(log.open("wb"))
        started = time.monotonic()
        popen = spawn(argv, cpus, cwd, env, out, subprocess.STDOUT)
        try:
            running = RunningServer(popen, host, port, log)
            _await_ready(running, popen, ready_path, ready_check, deadline_s, started, wrong)
            yield running
        finally:
            terminate_group(popen.pid, popen_waiter(popen))
