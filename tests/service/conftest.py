"""Shared pieces of the hardening tests (tests/service/test_hardening_*.py).

`launch(...)` starts a real `primebench serve` on a free loopback port and, when the test
is done, stops it the way an orchestrator does (SIGTERM to the main process only), then
checks that it exited within its grace period and that no process of its process group
outlived it (a pool process or forkserver orphaned by a dead worker would show here).

The raw-socket client (`exchange`, `fetch`) is deliberately not httpx: hostile requests
must reach the server byte for byte, and a flood of a thousand requests must cost the
client (which shares the machine's two cores with the server) as little as possible.
"""

from __future__ import annotations

import asyncio
import http.client
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import httpx
import psutil
import pytest

from tests.servers import free_port

READY_DEADLINE_S = 30.0
DEFAULT_GRACE_S = 5.0
ORPHAN_WAIT_S = 5.0

# p(n) for the cheap requests of the background traffic (checked against sympy.prime).
KNOWN_PRIMES = {1: 2, 2: 3, 3: 5, 10: 29, 100: 541, 1000: 7919, 10_000: 104_729, 99_991: 1_299_553}
P_10_12 = 29_996_224_275_833


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
        """Every live process of the server's process group, orphans included."""
        members = []
        for proc in psutil.process_iter(["pid"]):
            try:
                if (
                    os.getpgid(proc.pid) == self.process.pid
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
    *args: str, launcher: str = "python", grace_s: float = DEFAULT_GRACE_S
) -> Iterator[Server]:
    """Run `primebench serve ARGS` on a free port until the block ends, then stop and check it.

    launcher "python" runs `sys.executable -m primebench serve` (the console script's
    module); "uv" runs the README's `uv run primebench serve`.
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
    if launcher == "uv":
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
            _stop_and_check(server)
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


def _stop_and_check(server: Server) -> None:
    """SIGTERM, then every member of the process group must be gone; kill and report any that is not."""
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
        try:
            os.killpg(server.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if server.process.poll() is None:
        server.process.wait(timeout=10)
    if problems:
        raise AssertionError("unclean stop: " + ", ".join(problems) + "\n" + server.log()[-3000:])


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


@pytest.fixture(scope="session")
def launch() -> Callable[..., AbstractContextManager[Server]]:
    """`with launch("--workers", "1", ...) as server:` (usable from module-scoped fixtures)."""
    return start_server


# --- raw HTTP/1.1 over a socket -------------------------------------------------------------


@dataclass
class Reply:
    """What came back on one connection: a status (None if the server closed without answering)."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    closed: bool = False
    elapsed_s: float = 0.0
    error: str = ""

    @property
    def refused_cleanly(self) -> bool:
        """A 4xx, or a connection closed without an answer: what hostile input may get."""
        return self.status is None or 400 <= self.status < 500


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def exchange(port: int, request: bytes, timeout_s: float = 10.0) -> Reply:
    """Send raw bytes, read one response (by content-length) or the close. TimeoutError if neither comes."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        error = ""
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError) as exc:
            error = f"send: {exc!r}"  # the server answered and closed before taking it all
        buffer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError as exc:
                error = error or f"recv: {exc!r}"
                chunk = b""
            except TimeoutError:
                raise TimeoutError(
                    f"no answer and no close within {timeout_s} s; got {buffer[:200]!r}"
                ) from None
            if not chunk:
                break
            buffer += chunk
            head, sep, body = buffer.partition(b"\r\n\r\n")
            if sep:
                _, headers = _parse_head(head)
                if request.startswith(b"HEAD ") or len(body) >= int(
                    headers.get("content-length", "0")
                ):
                    break
    elapsed = time.monotonic() - started
    head, sep, body = buffer.partition(b"\r\n\r\n")
    if not sep:
        return Reply(
            None, closed=True, elapsed_s=elapsed, error=error or f"partial: {buffer[:100]!r}"
        )
    status, headers = _parse_head(head)
    return Reply(status, headers, body, closed=not chunk, elapsed_s=elapsed, error=error)


async def fetch(port: int, target: str, timeout_s: float = 30.0, method: str = "GET") -> Reply:
    """One request on a fresh connection (Connection: close), asyncio streams; never raises for I/O."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), timeout_s
        )
    except (OSError, TimeoutError) as exc:
        return Reply(None, elapsed_s=time.monotonic() - started, error=f"connect: {exc!r}")
    data = b""
    try:
        writer.write(f"{method} {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        async with asyncio.timeout(timeout_s):
            while chunk := await reader.read(65536):
                data += chunk
    except (OSError, TimeoutError) as exc:
        # "exchange: ..." only when not one byte of an answer came: a reset after some is a cut answer.
        where = "exchange" if not data else f"after {len(data)} bytes"
        return Reply(None, elapsed_s=time.monotonic() - started, error=f"{where}: {exc!r}")
    finally:
        writer.close()
    elapsed = time.monotonic() - started
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return Reply(None, closed=True, elapsed_s=elapsed, error=f"partial: {data[:100]!r}")
    status, headers = _parse_head(head)
    if len(body) != int(headers.get("content-length", len(body))):
        return Reply(None, headers, body, closed=True, elapsed_s=elapsed, error="truncated body")
    return Reply(status, headers, body, closed=True, elapsed_s=elapsed)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# --- background load ------------------------------------------------------------------------


class GoodTraffic:
    """A thread sending cheap, valid requests on keep-alive connections and checking every answer.

    A failed exchange (error, wrong status or body) is counted, then the thread reconnects.
    """

    def __init__(self, port: int, pause_s: float = 0.002) -> None:
        self._port = port
        self._pause_s = pause_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="good-traffic", daemon=True)
        self.latencies: list[float] = []
        self.failures: list[str] = []

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=10)
        items = list(KNOWN_PRIMES.items())
        index = 0
        while not self._stop.is_set():
            n, prime = items[index % len(items)]
            index += 1
            started = time.perf_counter()
            try:
                conn.request("GET", f"/prime?n={n}")
                response = conn.getresponse()
                body = response.read()
                if response.status != 200 or body != b'{"n":%d,"prime":%d}' % (n, prime):
                    self.failures.append(f"n={n}: {response.status} {body[:80]!r}")
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(f"n={n}: {exc!r}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=10)
                continue
            self.latencies.append(time.perf_counter() - started)
            self._stop.wait(self._pause_s)
        conn.close()


class PeakRss:
    """Samples the summed RSS of a server's process tree every `interval_s`; keeps the peak."""

    def __init__(self, server: Server, interval_s: float = 0.05) -> None:
        self._server = server
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self.peak_bytes = 0

    def __enter__(self) -> Self:
        self.peak_bytes = self._server.rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.peak_bytes = max(self.peak_bytes, self._server.rss_bytes())
