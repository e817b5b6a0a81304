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

from primebench.lab.host import loopback
from primebench.lab.host.resources import (
    SAMPLE_INTERVAL_S,
    Pinning,
    ResourceMeter,
    ResourceUsage,
    cpu_split,
    process_tree,
)

__all__ = [
    "Pinning",
    "Reaped",
    "Reaper",
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
    "terminate_group",
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
    _kill_stragglers(pgid)


def _kill_stragglers(pgid: int) -> None:
    """SIGKILL anything born in the group after the last look (or left by a finished tool)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _popen_waiter(popen: subprocess.Popen[bytes]) -> Callable[[float | None], bool]:
    """`terminate_group`'s leader waiter for a process started with Popen."""

    def wait(timeout_s: float | None) -> bool:
        try:
            popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    return wait


def _spawn(
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
            answer = loopback.get(
                running.host, running.port, ready_path, timeout_s=min(5.0, remaining)
            )
        except loopback.ProbeFailed as exc:
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
        popen = _spawn(argv, cpus, cwd, env, out, subprocess.STDOUT)
        try:
            running = RunningServer(popen, host, port, log)
            _await_ready(running, popen, ready_path, ready_check, deadline_s, started)
            yield running
        finally:
            terminate_group(popen.pid, _popen_waiter(popen))


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
            _kill_stragglers(popen.pid)
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
        popen = _spawn(argv, cpus, cwd, env, out, err)
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
