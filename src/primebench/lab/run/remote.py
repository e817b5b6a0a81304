"""A service the lab did not start (`bench --target NAME=URL`): measured, never managed.

The lab neither builds, starts, stops nor pins it, and cannot see its processes: its CPU
and memory figures are absent (never zero), and only the generator's side of a trial is
sampled. Load still only targets the loopback interface (`LoadSpec` enforces it): a
deployment is measured through a port published on 127.0.0.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import psutil

from primebench.errors import UserError
from primebench.lab.model.load_records import LOOPBACK

__all__ = ["RemoteServer", "parse_target"]


@dataclass(frozen=True)
class RemoteServer:
    """The part of `servers.RunningServer` the protocol uses, for a server it does not own."""

    name: str
    url: str
    host: str
    port: int
    startup_s: float | None = None

    def alive(self) -> bool:
        """Unknown from here: a dead target shows as failed trials, not as an exit code."""
        return True

    def returncode(self) -> int | None:
        return None

    def tree(self) -> list[psutil.Process]:
        return []

    def stderr_tail(self) -> str:
        return ""


def parse_target(text: str) -> RemoteServer:
    """`NAME=http://127.0.0.1:PORT` (the service's root) to a target; anything else is refused."""
    name, eq, url = text.partition("=")
    if not eq or not name.strip() or not url.strip():
        raise UserError(f"--target takes NAME=URL, got {text!r}")
    parts = urlsplit(url.strip())
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    if parts.scheme != "http" or host != LOOPBACK or parts.port is None:
        raise UserError(
            f"--target {name}: the URL must be http://{LOOPBACK}:PORT (load only ever "
            f"targets the loopback interface; publish the deployment's port there), got {url!r}"
        )
    if parts.path not in ("", "/"):
        raise UserError(f"--target {name}: give the service's root URL, not a path ({url!r})")
    return RemoteServer(name.strip(), url.strip(), host, parts.port)
