"""A real `primebench serve` process on a free loopback port, for every test that needs one.

`start_server(...)` starts it and, when the block ends, stops it the way an orchestrator
does (SIGTERM to the main process only), then checks that it exited within its grace
period, that no process of its session outlived it (a pool process or
forkserver orphaned by a dead worker would show here), and that its log shows no
traceback and no leaked semaphore.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

READY_DEADLINE_S = 30.0
# Another server core for the same suite (issue 18): `python -m primebench.service.cores
# CORE` instead of `primebench serve`, e.g. PRIMEBENCH_TEST_CORE=fastpysgi-wsgi.
CORE_ENV = "PRIMEBENCH_TEST_CORE"
DEFAULT_GRACE_S = 5.0
ORPHAN_WAIT_S = 5.0
# What a clean run never logs (issue 11: pool tracebacks, leaked semaphores at shutdown).
_UNCLEAN_LOG = ("Traceback", "leaked semaphore")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the server under test ---------------------------------------------------------------


@dataclass
class Server:
    """A running `primebench serve`: its URL, main process (granian's, or uv's) and log file."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    grace_s: float

    @property
    def main(self) -> psutil.Process:
        return psutil.Process(self.process.pid)

    def tree(self) -> list[psutil.Process]:
        """The main process and every descendant still linked to it."""
        try:
            return [self.main, *self.main.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def group(self) -> list[psutil.Process]:
        """Every live process of the server's session, orphans included (the compute pool's
        forkserver and pool processes have a process group of their own in that session)."""
        members = []
        for proc in psutil.process_iter(["pid"]):
            try:
                if (
                    os.getsid(proc.pid) == self.process.pid
                    and proc.status() != psutil.STATUS_ZOMBIE
                ):
                    members.append(proc)
            except (ProcessLookupError, psutil.NoSuchProcess):
                continue
        return members

    def granian_main(self) -> psutil.Process:
        """granian's main process (the Popen process itself, or uv's child when started by `uv run`)."""
        main = self.main
        if "primebench" in " ".join(main.cmdline()) and "uv" not in Path(main.cmdline()[0]).name:
            return main
        return main.children()[0]

    def workers(self) -> list[psutil.Process]:
        """granian's worker processes (children of its main process)."""
        return [p for p in self.granian_main().children() if _is_worker(p)]

    def pool_processes(self, worker: psutil.Process) -> list[psutil.Process]:
        """The compute-pool processes of one worker (children of that worker's forkserver)."""
        found = []
        for child in worker.children():
            if "forkserver" in " ".join(child.cmdline()):
                found.extend(child.children())
        return found

    def rss_bytes(self) -> int:
        total = 0
        for proc in self.tree():
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def metrics(self) -> dict[str, float]:
        """/metrics as {'name{label="v",...}': value} (labels sorted), samples of every worker summed."""
        return parse_metrics(httpx.get(self.url + "/metrics", timeout=10).text)

    def metrics_when(
        self, settled: Callable[[dict[str, float]], bool], timeout_s: float = 3.0
    ) -> dict[str, float]:
        """/metrics once `settled(metrics)` holds (workers publish their counts at most a second
        late), or the last scrape when `timeout_s` has passed."""
        ends = time.monotonic() + timeout_s
        while True:
            metrics = self.metrics()
            if settled(metrics) or time.monotonic() > ends:
                return metrics
            time.sleep(0.05)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> tuple[int, float]:
        """SIGTERM to the main process only (as Docker or Kubernetes do); its exit code and time to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=self.grace_s + 10)
        return code, time.monotonic() - started


def _is_worker(proc: psutil.Process) -> bool:
    try:
        line = " ".join(proc.cmdline())
    except psutil.NoSuchProcess:
        return False
    return "primebench" in line and "multiprocessing" not in line


def parse_metrics(text: str) -> dict[str, float]:
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)", line)
        if match is None:
            continue
        name, labels, value = match.groups()
        pairs = sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels or ""))
        key = name + ("{" + ",".join(f'{k}="{v}"' for k, v in pairs) + "}" if pairs else "")
        samples[key] = samples.get(key, 0.0) + float(value)
    return samples


@contextmanager
def start_server(
    *args: str,
    launcher: str = "python",
    executable: Path | None = None,
    grace_s: float = DEFAULT_GRACE_S,
    tolerated_in_log: tuple[str, ...] = (),
) -> Iterator[Server]:
    """Run `primebench serve ARGS` on a free port until the block ends, then stop and check it.

    `tolerated_in_log`: signs of an unclean log that the test provokes on purpose (a worker
    killed with -9 leaves its semaphores to the resource tracker, which says so).

    launcher "python" runs `sys.executable -m primebench serve` (the console script's
    module); "uv" runs the README's `uv run primebench serve`. `executable`, when given, is
    a `primebench` console script to run instead (another venv's install of the wheel).
    """
    port = free_port()
    command = [
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--grace",
        f"{grace_s:g}",
        *args,
    ]
    core = os.environ.get(CORE_ENV)
    if core:
        argv = [sys.executable, "-m", "primebench.service.cores", core, *command[1:]]
    elif executable is not None:
        argv = [str(executable), *command]
    elif launcher == "uv":
        argv = ["uv", "run", "--frozen", "--no-sync", "primebench", *command]
    else:
        argv = [sys.executable, "-m", "primebench", *command]
    fd, log_name = tempfile.mkstemp(prefix="primebench-hardening-", suffix=".log")
    log_path = Path(log_name)
    with os.fdopen(fd, "wb") as log_file:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", port, process, log_path, grace_s)
    try:
        _wait_ready(server)
        yield server
    finally:
        try:
            _stop_and_check(server, tolerated_in_log)
        finally:
            log_path.unlink(missing_ok=True)


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_DEADLINE_S
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"server exited with {server.process.returncode}:\n{server.log()[-3000:]}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"server not ready within {READY_DEADLINE_S} s:\n{server.log()[-3000:]}"
            )
        try:
            if httpx.get(server.url + "/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)


def _stop_and_check(server: Server, tolerated_in_log: tuple[str, ...] = ()) -> None:
    """SIGTERM, then every member of the session must be gone; kill and report any that is not."""
    problems = []
    if server.process.poll() is None:
        try:
            code, seconds = server.terminate()
            if code != 0 or seconds > server.grace_s + 1:
                problems.append(
                    f"exit code {code} after {seconds:.1f} s (grace {server.grace_s:g} s)"
                )
        except subprocess.TimeoutExpired:
            problems.append(f"still running {server.grace_s + 10:g} s after SIGTERM")
    survivors = _survivors(server)
    if survivors:
        problems.append("orphans: " + "; ".join(survivors))
        for proc in server.group():
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                continue
    if server.process.poll() is None:
        server.process.wait(timeout=10)
    log = server.log()
    for sign in _UNCLEAN_LOG:
        if sign in log and sign not in tolerated_in_log:
            problems.append(f"the log shows {sign!r}")
    if problems:
        raise AssertionError("unclean stop: " + ", ".join(problems) + "\n" + log[-3000:])


def _survivors(server: Server) -> list[str]:
    ends = time.monotonic() + ORPHAN_WAIT_S
    while True:
        group = server.group()
        if not group or time.monotonic() > ends:
            break
        time.sleep(0.05)
    described = []
    for proc in group:
        try:
            described.append(f"{proc.pid} ({' '.join(proc.cmdline())[:80]})")
        except psutil.NoSuchProcess:
            continue
    return described
