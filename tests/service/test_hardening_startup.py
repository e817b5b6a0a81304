"""Start-up that cannot hang (issue 20, deliverable 5), against a real `primebench serve`.

Whatever sits at the table cache's path ($XDG_CACHE_HOME/primebench/primes-N.u32) must not
block or fail start-up: the service builds the table in memory and says why in one line.
And SIGTERM stops it in every phase, start-up included (before granian has installed its
handlers, while the table is sieved).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
import sympy

from primebench.primes.table import SHIPPED_COUNT
from tests.servers import Server, _stop_and_check, _wait_ready, free_port

pytestmark = pytest.mark.e2e

# A table the package does not ship (a size past it), so start-up reads and writes the
# cache; a table up to SHIPPED_COUNT is mapped from the package and never touches it.
PAST_SHIPPED = str(SHIPPED_COUNT + 1000)
TABLE = f"primes-{PAST_SHIPPED}.u32"
FALLBACK = "the table is built in memory"


@contextmanager
def _serve(
    cache_home: Path, *args: str, ready: bool = True, prefix: tuple[str, ...] = ()
) -> Iterator[Server]:
    """`primebench serve` with XDG_CACHE_HOME=cache_home; waits for readiness if `ready`.

    `prefix` runs it under another command (`setpriv ...`)."""
    port = free_port()
    fd, log_name = tempfile.mkstemp(prefix="primebench-startup-", suffix=".log")
    with os.fdopen(fd, "wb") as log_file:
        process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "primebench", "serve", "--host", "127.0.0.1"]
            + ["--port", str(port), "--workers", "1", "--grace", "5", *args],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "XDG_CACHE_HOME": str(cache_home)},
        )
    server = Server(f"http://127.0.0.1:{port}", port, process, Path(log_name), 5.0)
    try:
        if ready:
            _wait_ready(server)
        yield server
    finally:
        try:
            if process.poll() is None and ready:
                _stop_and_check(server)
            elif process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        finally:
            Path(log_name).unlink(missing_ok=True)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))  # the file stays after close, as a stale socket would
    listener.close()


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _directory(path: Path) -> None:
    path.mkdir()


@pytest.mark.concurrent  # an answer and a log line; 30 s is a hang bound, not a figure
@pytest.mark.parametrize(
    ("make", "why"),
    [
        (_fifo, "is not a regular file (mode p"),
        (_socket, "cannot be opened"),  # open() of a socket file: ENXIO
        (_dev_zero, "cannot be opened"),  # O_NOFOLLOW: ELOOP
        (_directory, "is not a regular file (mode d"),
    ],
    ids=["fifo", "socket", "symlink-to-dev-zero", "directory"],
)
def test_a_non_regular_file_at_the_cache_path_falls_back_to_memory(
    tmp_path: Path, make: Callable[[Path], None], why: str
) -> None:
    (tmp_path / "primebench").mkdir()
    target = tmp_path / "primebench" / TABLE
    make(target)
    started = time.monotonic()
    with _serve(tmp_path, "--table-size", PAST_SHIPPED) as server:
        ready_s = time.monotonic() - started
        body = server_get(server, "/prime?n=1000")
        lines = [line for line in server.log().splitlines() if FALLBACK in line]
    assert body == b'{"n":1000,"prime":7919}'
    assert ready_s < 30
    assert len(lines) == 1 and why in lines[0], lines
    assert target.is_symlink() or not target.is_file()  # never replaced by our table


@pytest.mark.concurrent  # starts, checks an answer and a log line: no figure
def test_a_full_disk_falls_back_to_memory_and_leaves_no_temp_file(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "full"
    mount.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)]
    if subprocess.run(command, check=False).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        # 1,001,000 primes are 4 MB: they cannot fit in 64 KiB
        with _serve(mount, "--table-size", PAST_SHIPPED) as server:
            body = server_get(server, "/prime?n=100000")
            lines = [line for line in server.log().splitlines() if FALLBACK in line]
        assert body == b'{"n":100000,"prime":1299709}'
        assert len(lines) == 1 and "cannot be written (No space left on device)" in lines[0]
        assert os.listdir(mount / "primebench") == []
    finally:
        subprocess.run(["umount", str(mount)], check=True)


# Root reads any directory (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): as root, the service is
# started without those two capabilities, so a mode-0 directory refuses it as it would any user.
_WITHOUT_DAC = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--")


@pytest.mark.concurrent  # starts, checks an answer and a log line: no figure
def test_an_unreadable_cache_directory_falls_back_to_memory(tmp_path: Path) -> None:
    prefix = _WITHOUT_DAC if os.geteuid() == 0 else ()
    locked = tmp_path / "primebench"
    locked.mkdir(mode=0)
    try:
        with _serve(tmp_path, "--table-size", PAST_SHIPPED, prefix=prefix) as server:
            body = server_get(server, "/prime?n=1000")
            lines = [line for line in server.log().splitlines() if FALLBACK in line]
        assert body == b'{"n":1000,"prime":7919}'
        assert len(lines) == 1 and "Permission denied" in lines[0]
    finally:
        locked.chmod(0o700)


@pytest.mark.concurrent  # starts, checks an answer and a log line: no figure
def test_a_fresh_start_maps_the_shipped_table_and_neither_sieves_nor_caches(
    tmp_path: Path,
) -> None:
    """Issue 21 (P6): an empty cache, as on a new pod, costs no sieve and writes nothing."""
    with _serve(tmp_path) as server:
        first = server_get(server, "/prime?n=1")
        last = server_get(server, f"/prime?n={SHIPPED_COUNT}")
        log = server.log()
    assert first == b'{"n":1,"prime":2}'
    assert last == b'{"n":%d,"prime":%d}' % (SHIPPED_COUNT, sympy.prime(SHIPPED_COUNT))
    assert list(tmp_path.iterdir()) == []  # no cache directory: nothing was built
    assert FALLBACK not in log and "shipped table" not in log, log  # no fallback line


def test_sigterm_during_start_up_stops_the_service_at_once(tmp_path: Path) -> None:
    """SIGTERM while the table is sieved (10^7 primes: seconds), before granian runs."""
    with _serve(tmp_path, "--table-size", "10000000", ready=False) as server:
        time.sleep(1.5)
        assert server.process.poll() is None, server.log()
        group = psutil.Process(server.process.pid)
        sent = time.monotonic()
        os.kill(server.process.pid, signal.SIGTERM)
        code = server.process.wait(10)
        exit_s = time.monotonic() - sent
        assert not group.is_running() or group.status() == psutil.STATUS_ZOMBIE
        survivors = [p.pid for p in psutil.process_iter() if _in_group(p, server.process.pid)]
    assert code == 128 + signal.SIGTERM, server.log()
    assert exit_s < 3, exit_s
    assert survivors == []


def _in_group(process: psutil.Process, pgid: int) -> bool:
    try:
        return os.getpgid(process.pid) == pgid
    except OSError:
        return False


def server_get(server: Server, target: str) -> bytes:
    """One GET over a fresh connection; the body."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", target)
        return connection.getresponse().read()
    finally:
        connection.close()
