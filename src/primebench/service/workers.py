"""The own core's processes: a main process that keeps N workers, each one event loop.

What granian's `Server` did for the service, in the same shape: the main process binds
one listening socket, forks the workers (the engine and app were prepared before, so the
pages are shared), respawns a worker that dies, and turns SIGTERM/SIGINT into the drain
that drops nothing (service/drain.py: `draining`, `closing`, `stopping`). The workers
share the one socket, so a connection queued in the backlog is never lost with a worker
that dies; a worker dies with the main process (parent-death signal, service/lifeline.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from primebench.service import drain
from primebench.service.http1 import Core
from primebench.service.lifeline import die_with_parent

if TYPE_CHECKING:
    from primebench.service.app import PrimeApp
    from primebench.service.settings import Settings

__all__ = ["run"]

log = logging.getLogger("primebench.service")

RESPAWN_AFTER_S = 0.5  # as granian's respawn_interval: a crash loop costs little CPU
_REAP_S = 0.1


def run(app: PrimeApp, settings: Settings, workers: int, connections: int, flags: Path) -> int:
    """Serve until SIGTERM/SIGINT and the drain after it; 0 once every worker has stopped."""
    listener = _listen(settings.host, settings.port, settings.backlog)
    return _Supervisor(app, settings, listener, workers, connections, flags).run()


def _listen(host: str, port: int, backlog: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


class _Supervisor:
    def __init__(
        self,
        app: PrimeApp,
        settings: Settings,
        listener: socket.socket,
        workers: int,
        connections: int,
        flags: Path,
    ) -> None:
        self.app = app
        self.settings = settings
        self.listener = listener
        self.count = workers
        self.connections = connections
        self.flags = flags
        self.pids: dict[int, int] = {}  # pid -> worker index
        self.stop_now = threading.Event()
        self.draining = False

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        host, port = self.listener.getsockname()[:2]
        print(
            f"primebench: listening on {host}:{port} (own core: uvloop + httptools, "
            f"{self.count} workers)",
            file=sys.stderr,
            flush=True,
        )
        for index in range(self.count):
            self._spawn(index)
        respawn: dict[int, float] = {}
        while not self.stop_now.wait(_REAP_S):
            for index in self._reap():
                log.warning("Unexpected exit from worker-%d; respawning it", index + 1)
                respawn[index] = time.monotonic() + RESPAWN_AFTER_S
            for index, at in list(respawn.items()):
                if time.monotonic() >= at:
                    del respawn[index]
                    self._spawn(index)
        self._stop_workers()
        self.listener.close()
        return 0

    def _spawn(self, index: int) -> None:
        main_pid = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _worker(self.app, self.settings, self.listener, self.connections, main_pid)
            except BaseException:  # noqa: BLE001 - a worker reports any end in its log, then exits 1
                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(code)
        self.pids[pid] = index

    def _reap(self) -> list[int]:
        """The indexes of workers that have exited (and are reaped)."""
        gone = []
        for pid in list(self.pids):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                gone.append(self.pids.pop(pid))
        return gone

    # --- stopping: the same phases as service/server.py's DrainingServer ----------------

    def _on_signal(self, signum: int, frame: object) -> None:
        now = "at once" if self.draining or self.settings.drain <= 0 else "after the drain"
        print(
            f"primebench: {signal.Signals(signum).name}: shutting down {now}",
            file=sys.stderr,
            flush=True,
        )
        if self.draining or self.settings.drain <= 0:
            self.stop_now.set()
            return
        self.draining = True
        (self.flags / drain.DRAINING).touch()
        threading.Thread(target=self._drain_then_stop, name="drain", daemon=True).start()

    def _drain_then_stop(self) -> None:
        time.sleep(self.settings.drain)
        (self.flags / drain.CLOSING).touch()
        ends = time.monotonic() + drain.CLOSING_LIMIT_S + 1
        while time.monotonic() < ends and not self.stop_now.is_set():
            if len(list(self.flags.glob(drain.CLOSED_PREFIX + "*"))) >= len(self.pids):
                break
            time.sleep(drain.CLOSING_POLL_S)
        self.stop_now.set()

    def _stop_workers(self) -> None:
        (self.flags / drain.STOPPING).touch()  # workers obey SIGTERM from now on
        for pid in self.pids:
            _signal(pid, signal.SIGINT)  # a worker's graceful stop
        ends = time.monotonic() + max(1.0, self.settings.grace)
        while self.pids and time.monotonic() < ends:
            self._reap()
            time.sleep(0.01)
        for pid in self.pids:
            log.warning("killing worker pid %d after the grace period", pid)
            _signal(pid, signal.SIGKILL)
        while self.pids:
            self._reap()
            time.sleep(0.01)


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _worker(
    app: PrimeApp, settings: Settings, listener: socket.socket, connections: int, main_pid: int
) -> int:
    """One worker: the app's start-up on a fresh loop, the core until SIGINT, the app's stop."""
    die_with_parent(main_pid)
    # The main process leads a stop: until the app's drain watcher takes SIGTERM over, a
    # SIGTERM to the whole group must not end this worker. A handler, not SIG_IGN: an
    # ignored signal stays ignored across exec, and the compute pool's forkserver and
    # processes started from here would then ignore the SIGTERM that stops them.
    signal.signal(signal.SIGTERM, _ignore)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    loop = _new_loop(settings.loop)
    asyncio.set_event_loop(loop)
    app.__rsgi_init__(loop)
    core = Core(
        app,
        listener,
        loop,
        max_connections=connections,
        header_timeout_s=settings.header_timeout,
        max_head_bytes=2 * settings.max_header_bytes,
        keep_alive=settings.keep_alive,
    )
    stopped: asyncio.Future[None] = loop.create_future()

    def stop() -> None:
        if not stopped.done():
            stopped.set_result(None)

    loop.add_signal_handler(signal.SIGINT, stop)
    core.start()
    try:
        loop.run_until_complete(stopped)
        loop.run_until_complete(core.stop(settings.grace))
    finally:
        app.__rsgi_del__(loop)
        loop.close()
    return 0


def _ignore(signum: int, frame: object) -> None:
    """SIGTERM before the drain watcher runs: the main process will say when to stop."""


def _new_loop(choice: str) -> asyncio.AbstractEventLoop:
    if choice == "asyncio":
        return asyncio.new_event_loop()
    import uvloop

    return uvloop.new_event_loop()
