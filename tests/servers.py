"""A real `primebench serve` process on a free loopback port, for tests that need one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import psutil


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    """A running service: its base URL and its process (the granian main process)."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    startup_s: float

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []


@contextmanager
def run_service(*args: str, env: dict[str, str] | None = None, deadline_s: float = 30.0) -> Iterator[Service]:
    """Start `python -m primebench serve ARGS` and wait for /readyz; stop it and its whole tree after."""
    port = free_port()
    argv = [sys.executable, "-m", "primebench", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    service = Service(url, port, process, 0.0)
    try:
        while True:
            if process.poll() is not None:
                stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"server exited with {process.returncode}: {stderr[-2000:]}")
            if time.perf_counter() - started > deadline_s:
                raise RuntimeError("server not ready before the deadline")
            try:
                if httpx.get(url + "/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.02)
        service.startup_s = time.perf_counter() - started
        yield service
    finally:
        tree = service.tree()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        for child in tree:
            try:
                child.wait(timeout=5)
            except psutil.NoSuchProcess:
                pass
            except psutil.TimeoutExpired:
                child.kill()
        if process.stderr:
            process.stderr.close()
