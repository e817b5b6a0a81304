"""Start-up: size the service, prepare the engine once, then hand the app to granian's workers.

The engine (prime table, compiled kernels) is prepared in the parent before granian
forks its workers, so workers start with it ready and share its memory pages. A worker
started another way (spawn) prepares it from PRIMEBENCH_* variables instead.
The app (and prometheus_client) is imported lazily: `serve --help` need not pay for it.

SIGTERM to the main process (what Docker and Kubernetes send), or to the whole process
group (`timeout`, some supervisors), starts a drain that drops nothing: the workers turn
readiness to 503 and answer with `Connection: close` while still accepting for `--drain`
seconds; then they refuse new connections at their listeners and answer what the kernel
had queued; only then does granian's own graceful stop close the listeners and finish
what is in flight (service/drain.py has the phases).
"""

from __future__ import annotations

import gc
import logging
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from primebench import compiled
from primebench.errors import UserError
from primebench.primes import prepare
from primebench.service import drain
from primebench.service.cpus import read_limits
from primebench.service.lifeline import die_with_parent
from primebench.service.metrics import DIR_ENV
from primebench.service.settings import Settings, resolve
from primebench.service.sizing import Sizing, size

log = logging.getLogger("primebench.service")

if TYPE_CHECKING:
    from primebench.service.app import PrimeApp

__all__ = ["load_app", "serve"]

_prepared: PrimeApp | None = None
MAIN_PID_ENV = "PRIMEBENCH_MAIN_PID"
# Open files a worker needs beside its connections (listener, pipes, pool, metrics files).
_SPARE_FDS = 64


def load_app(*_: object) -> PrimeApp:
    """granian's target loader, run in each worker: the app prepared before the fork, if any."""
    global _prepared
    main_pid = os.environ.get(MAIN_PID_ENV)
    die_with_parent(int(main_pid) if main_pid else None)
    if _prepared is None:
        settings = resolve({}, os.environ)
        _prepared = _build(settings, size(settings, read_limits()))
    return _prepared


def _build(settings: Settings, sizing: Sizing) -> PrimeApp:
    from primebench.service.app import PrimeApp

    return PrimeApp(settings, prepare(settings.engine, settings.table_size), sizing)


def raise_open_files_limit() -> tuple[int, int]:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit (workers inherit it).

    Every held connection is an open file; the usual soft limit of 1,024 would cap a worker
    far below `--max-connections`. Returns (old soft, new soft).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return soft, hard
    return soft, soft


def _connections_per_worker(settings: Settings, open_files: int) -> int:
    if open_files == resource.RLIM_INFINITY:
        return settings.max_connections
    return max(16, min(settings.max_connections, open_files - _SPARE_FDS))


def serve(
    settings: Settings,
    *,
    interface: str = "rsgi",
    blocking_threads: int | None = None,
    loader: Callable[..., object] = load_app,
) -> int:
    """Run until SIGTERM/SIGINT; in-flight requests get `settings.grace` seconds to finish.

    `interface`, `blocking_threads` and `loader` let service/cores run the same service on
    granian's WSGI interface (a lab variant, issue 18); the service's own core is RSGI.
    """
    global _prepared
    # Start-up (sizing, the table's sieve or cache) runs before granian installs its
    # handlers: a SIGTERM there must stop the service promptly and still run the cleanup
    # below, so it raises SystemExit until granian takes over (issue 20).
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    _check_bindable(settings.host, settings.port)
    sizing = size(settings, read_limits())
    old_soft, open_files = raise_open_files_limit()
    connections = _connections_per_worker(settings, open_files)
    _announce(sizing, old_soft, open_files, connections, settings.max_connections)
    metrics_dir = tempfile.mkdtemp(prefix="primebench-metrics-")
    os.environ[DIR_ENV] = metrics_dir
    os.environ[MAIN_PID_ENV] = str(os.getpid())
    os.environ.update(settings.to_env())
    try:
        _prepared = _build(settings, sizing)
        if settings.server == "httptools" and interface == "rsgi" and loader is load_app:
            return _serve_own_core(_prepared, settings, sizing.workers, connections, metrics_dir)
        from granian.constants import HTTPModes, Interfaces, Loops, TaskImpl
        from granian.http import HTTP1Settings
        from granian.log import LogLevels

        server = _draining_server_class()(
            "primebench.service.server:load_app",
            address=settings.host,
            port=settings.port,
            interface=Interfaces(interface),
            blocking_threads=blocking_threads,
            workers=sizing.workers,
            http=HTTPModes.http1,
            websockets=False,
            loop=Loops(settings.loop),
            task_impl=TaskImpl(settings.task_impl),
            backlog=settings.backlog,
            backpressure=connections,  # granian: open connections per worker
            http1_settings=HTTP1Settings(
                # hyper's read buffer, not a head limit: the app enforces --max-header-bytes
                # exactly (a 431 problem); twice the setting keeps that 431 the one a head
                # just over it gets, and the buffer an outer bound (hyper's bare 431)
                max_buffer_size=2 * settings.max_header_bytes,
                # hyper starts this timer whenever it waits for a request head, so it also
                # closes an idle keep-alive connection (docs/RELIABILITY.md)
                header_read_timeout=round(settings.header_timeout * 1000),  # milliseconds
                keep_alive=settings.keep_alive,
            ),
            log_level=LogLevels(settings.log_level),
            respawn_failed_workers=True,
            respawn_interval=0.5,
            workers_kill_timeout=max(1, round(settings.grace)),
        )
        server.drain_s = settings.drain
        server.flags = Path(metrics_dir)
        # granian installs its own handlers in serve(); until then a SIGTERM kills at once.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # What start-up built (modules, the table, the app) lives as long as the process:
        # no collection need scan it again, here or in the forked workers. The CLI turns
        # the GC off for the imports (cli.main); from here it runs as usual.
        gc.freeze()
        gc.enable()
        server.serve(target_loader=loader, wrap_loader=False)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
        logging.shutdown()
    return 0


def _serve_own_core(
    app: PrimeApp, settings: Settings, workers: int, connections: int, metrics_dir: str
) -> int:
    """The service's own core (service/http1.py, service/workers.py) instead of granian."""
    from primebench.service import workers as own_workers

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # until the supervisor takes it over
    gc.freeze()
    gc.enable()
    return own_workers.run(app, settings, workers, connections, Path(metrics_dir))


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM during start-up: exit 143 like the default action, but through `finally`."""
    raise SystemExit(128 + signum)


def _announce(
    sizing: Sizing, old_soft: int, open_files: int, connections: int, wanted: int
) -> None:
    """One line at start: the sizes chosen and the open-files limit (shown at any log level)."""
    files = f"open files {open_files}" + (
        f" (soft limit raised from {old_soft})" if old_soft != open_files else ""
    )
    capped = f" (capped from {wanted} by open files)" if connections < wanted else ""
    print(
        f"primebench: {sizing.describe()}; {files}; {connections} connections per worker{capped};"
        f" {compiled.describe()}",
        file=sys.stderr,
        flush=True,
    )
    for module in compiled.stale():
        log.warning(
            "%s: the compiled module is older than its .py, and it is the one that runs;"
            " rebuild it (`uv sync`), or set %s=1 to run the source",
            module,
            compiled.PURE_PYTHON_ENV,
        )


def _draining_server_class() -> Any:
    """granian's server, with SIGTERM/SIGINT starting a drain of `drain_s` seconds first.

    The phases are flag files in `flags`, which the workers poll (service/drain.py). A
    second signal during the drain stops at once.
    """
    from granian.server import Server

    class DrainingServer(Server):  # type: ignore[misc, valid-type]
        drain_s: float = 0.0
        flags: Path | None = None
        _draining = False

        def signal_handler_interrupt(self, *args: Any, **kwargs: Any) -> None:
            if self._draining or self.drain_s <= 0 or self.flags is None:
                self._stop()
                return
            self._draining = True
            (self.flags / drain.DRAINING).touch()
            threading.Thread(target=self._drain_then_stop, name="drain", daemon=True).start()

        def _drain_then_stop(self) -> None:
            assert self.flags is not None
            time.sleep(self.drain_s)
            (self.flags / drain.CLOSING).touch()
            ends = time.monotonic() + drain.CLOSING_LIMIT_S + 1
            while time.monotonic() < ends:
                if len(list(self.flags.glob(drain.CLOSED_PREFIX + "*"))) >= len(self.wrks):
                    break
                time.sleep(drain.CLOSING_POLL_S)
            self._stop()

        def _stop(self) -> None:
            if self.flags is not None:
                (self.flags / drain.STOPPING).touch()  # workers obey SIGTERM from now on
            super().signal_handler_interrupt()

    return DrainingServer


def _check_bindable(host: str, port: int) -> None:
    """Refuse a busy or invalid address with a clear message (granian would show a Rust traceback)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise UserError(
            f"cannot listen on --host {host} --port {port}: {exc.strerror or exc}"
        ) from None
