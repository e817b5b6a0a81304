"""A drain that drops nothing: the worker's side of a stop (SIGTERM to the main process,
or to the whole process group as `timeout` and some supervisors send it).

The main process leads, in phases, each announced by a flag file in the directory the
processes share (service/server.py writes them):

1. `draining`, at SIGTERM: readiness turns 503 and every answer carries
   `Connection: close`, while the worker still accepts (a balancer stops sending).
2. `closing`, after `--drain`: the worker refuses new connections at its listener
   (service/listener.py), answers what the kernel already queued, and reports
   `closed-<pid>` once its accept queue is empty and no request has arrived for QUIET_S.
3. `stopping`: granian may now stop the worker (graceful: in-flight requests finish).

Until `stopping`, a SIGTERM sent to the worker itself is ignored: with a signal to the
whole group the main process drains as above, and the workers must not quit under it
(issue 20: they did, dropping requests, and the main process logged
"Unexpected exit from worker-N").
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

from primebench.service import listener

__all__ = ["CLOSED_PREFIX", "CLOSING", "DRAINING", "STOPPING", "DrainWatcher"]

log = logging.getLogger("primebench.service")

DRAINING, CLOSING, STOPPING = "draining", "closing", "stopping"
CLOSED_PREFIX = "closed-"
POLL_S = 0.05
CLOSING_POLL_S = 0.01
# After the accept queue is empty: a client that connected just before has its request
# on the wire within microseconds on a LAN; this leaves it a generous margin.
QUIET_S = 0.1
CLOSING_LIMIT_S = 3.0  # never hold a stop longer than this for a client that never sends


class DrainWatcher:
    """Follows the main process's phases in one worker, on its event loop."""

    def __init__(
        self,
        directory: Path,
        port: int,
        on_drain: Callable[[], None],
        last_arrival: Callable[[], float],
    ) -> None:
        self._directory = directory
        self._port = port
        self._on_drain = on_drain
        self._last_arrival = last_arrival
        self._draining = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Poll for the phases, and take over SIGTERM from granian (SIGINT still stops at once)."""
        self._loop = loop
        loop.add_signal_handler(signal.SIGTERM, self.on_sigterm)
        loop.call_later(POLL_S, self._poll)

    def on_sigterm(self) -> None:
        if (self._directory / STOPPING).exists():
            signal.raise_signal(signal.SIGINT)  # granian's own handler: stop gracefully
        else:
            log.info("SIGTERM to worker %d: the main process leads the drain", os.getpid())

    def _poll(self) -> None:
        assert self._loop is not None
        if not self._draining and (self._directory / DRAINING).exists():
            self._draining = True
            self._on_drain()
        if (self._directory / CLOSING).exists():
            self._close()
            return
        self._loop.call_later(POLL_S, self._poll)

    def _close(self) -> None:
        found = listener.listeners(self._port)
        for sock in found:
            try:
                listener.refuse_new_connections(sock)
            except OSError as error:
                log.warning("could not stop new connections before closing: %s", error)
        self._wait_until_quiet(found, time.monotonic())

    def _wait_until_quiet(self, refused: list[socket.socket], started: float) -> None:
        assert self._loop is not None
        queued = sum(listener.accept_queue_length(sock) for sock in refused)
        quiet = time.perf_counter() - self._last_arrival() >= QUIET_S
        if (queued == 0 and quiet) or time.monotonic() - started > CLOSING_LIMIT_S:
            for sock in refused:
                sock.close()
            (self._directory / f"{CLOSED_PREFIX}{os.getpid()}").touch()
            return
        self._loop.call_later(CLOSING_POLL_S, self._wait_until_quiet, refused, started)
