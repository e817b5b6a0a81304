"""Every process the lab starts: servers under test, load generators, build steps.

Why one module: a benchmark that leaks a server keeps burning a core and skews the
next run, and one that trusts a fixed `sleep` measures noise. So every child here
is started from an argv list (never a shell) in its own session and process group,
optionally pinned to a set of cores, bounded in time, and taken down with
SIGTERM -> wait -> SIGKILL to its whole group and every descendant on any exit,
including an exception or Ctrl-C. Servers are ready when they give a correct
answer, probed with a deadline while checking they are still alive.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

from primebench.lab import http
from primebench.lab.resources import (
    SAMPLE_INTERVAL_S,
    Pinning,
    ResourceMeter,
    ResourceUsage,
    cpu_split,
    process_tree,
)

__all__ = [
    "Pinning",
    "ResourceMeter",
    "ResourceUsage",
    "RunningServer",
    "ServerFailed",
    "ToolRun",
    "cpu_split",
    "free_port",
    "interrupt_on_sigterm",
    "run_tool",
    "server",
]

STOP_GRACE_S = 5.0
"""How long a server gets to exit after SIGTERM before SIGKILL."""
TAIL_BYTES = 4000


class ServerFailed(Exception):
    """A server died or gave no correct answer before its deadline."""

    def __init__(self, reason: str, stderr_tail: str = "") -> None:
        super().__init__(
            reason if not stderr_tail else f"{reason}\n--- output tail ---\n{stderr_tail}"
        )
        self.reason = reason
        self.stderr_tail = stderr_tail


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


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the kernel's choice; tiny race accepted)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _pinned(argv: Sequence[str], cpus: frozenset[int] | None) -> list[str]:
    """Prefix `taskset -c` so the pinning holds from the first instruction (threads included).

    taskset execs the command, so the pid is the program's own. (A `preexec_fn`
    would do the same in Python, but is unsafe while the lab's sampler threads run.)
    """
    if not cpus:
        return list(argv)
    return ["taskset", "-c", ",".join(str(c) for c in sorted(cpus)), *argv]


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - TAIL_BYTES))
            return fh.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _running(proc: psutil.Process) -> bool:
    """Alive and not a zombie: an orphan's zombie waits for init to reap it, which can take seconds."""
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


def _ours(popen: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The server's descendants plus its group's members, each once."""
    found = {p.pid: p for p in process_tree(popen.pid)}
    for proc in _group_members(popen.pid):
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


def _take_down(popen: subprocess.Popen[bytes], grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM the group and every descendant, wait, then SIGKILL whatever is left.

    Safe to call on a process that already exited: its group may still hold
    children (a server whose master crashed leaves its workers behind).
    """
    pgid = popen.pid  # start_new_session=True: the leader's pid is the group id
    procs = _ours(popen)
    _signal_all(pgid, procs, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    with contextlib.suppress(subprocess.TimeoutExpired):
        popen.wait(timeout=grace_s)
    others = [p for p in procs if p.pid != popen.pid]
    survivors = _wait_gone(others, max(0.0, deadline - time.monotonic()))
    if popen.poll() is None or survivors:
        late = [p for p in _ours(popen) if p.pid != popen.pid]
        _signal_all(pgid, survivors + late, signal.SIGKILL)
        popen.wait()
        _wait_gone(survivors + late, grace_s)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)  # anything born in the group after the last look


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


def _await_ready(
    running: RunningServer,
    popen: subprocess.Popen[bytes],
    ready_path: str,
    ready_check: Callable[[int, bytes], bool],
    deadline_s: float,
    started: float,
) -> None:
    deadline = started + deadline_s
    pause = 0.005
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
            answer = http.get(running.host, running.port, ready_path, timeout_s=min(5.0, remaining))
        except http.ProbeFailed as exc:
            last = exc.reason
        else:
            if ready_check(answer.status, answer.body):
                running.startup_s = time.monotonic() - started
                return
            last = f"last answer {answer.status} {answer.body[:80]!r}"
        # Waiting on the process (not sleeping) wakes us at once if it dies.
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, 0.1)


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
) -> Iterator[RunningServer]:
    """Start a server, wait until it answers correctly, yield it, always take it down.

    `startup_s` runs from spawn to the first answer accepted by `ready_check`.
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
        popen = subprocess.Popen(
            _pinned(argv, cpus),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            running = RunningServer(popen, host, port, log)
            _await_ready(running, popen, ready_path, ready_check, deadline_s, started)
            yield running
        finally:
            _take_down(popen)


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
        popen = subprocess.Popen(
            _pinned(argv, cpus),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        waited: dict[str, object] = {}

        def reap() -> None:
            _, status, usage = os.wait4(popen.pid, 0)
            waited["status"] = status
            waited["cpu"] = usage.ru_utime + usage.ru_stime

        reaper = threading.Thread(target=reap, name=f"reap-{popen.pid}", daemon=True)
        reaper.start()
        timed_out = False
        try:
            reaper.join(timeout_s)
            timed_out = reaper.is_alive()
        finally:
            if reaper.is_alive():
                pgid = popen.pid
                procs = _ours(popen)
                _signal_all(pgid, procs, signal.SIGTERM)
                deadline = time.monotonic() + STOP_GRACE_S
                reaper.join(STOP_GRACE_S)
                others = [p for p in procs if p.pid != popen.pid]
                survivors = _wait_gone(others, max(0.0, deadline - time.monotonic()))
                if reaper.is_alive() or survivors:
                    _signal_all(pgid, procs, signal.SIGKILL)
                    reaper.join()
                    _wait_gone(survivors, STOP_GRACE_S)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(popen.pid, signal.SIGKILL)  # stragglers the tool left in its group
        status = waited["status"]
        assert isinstance(status, int)
        popen.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, tell Popen
        cpu = waited["cpu"]
        assert isinstance(cpu, float)
        out.seek(0)
        err.seek(0)
        return ToolRun(
            argv=tuple(argv),
            returncode=popen.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            wall_s=time.monotonic() - started,
            cpu_s=cpu,
            timed_out=timed_out,
        )
