"""Start-up: prepare the engine once, then hand the app to granian's worker processes.

The engine (prime table, compiled kernels) is prepared in the parent before granian
forks its workers, so workers start with it ready and share its memory pages. A worker
started another way (spawn) prepares it from PRIMEBENCH_* variables instead.
The app (and prometheus_client) is imported lazily: `serve --help` need not pay for it.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from typing import TYPE_CHECKING

from primebench.errors import UserError
from primebench.primes import prepare
from primebench.service.metrics import DIR_ENV
from primebench.service.settings import Settings, resolve

if TYPE_CHECKING:
    from primebench.service.app import PrimeApp

__all__ = ["load_app", "serve"]

_prepared: PrimeApp | None = None


def load_app(*_: object) -> PrimeApp:
    """granian's target loader, run in each worker: the app prepared before the fork, if any."""
    global _prepared
    if _prepared is None:
        _prepared = _build(resolve({}, os.environ))
    return _prepared


def _build(settings: Settings) -> PrimeApp:
    from primebench.service.app import PrimeApp

    return PrimeApp(settings, prepare(settings.engine, settings.table_size))


def serve(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT; in-flight requests get `settings.grace` seconds to finish."""
    global _prepared
    _check_bindable(settings.host, settings.port)
    metrics_dir = tempfile.mkdtemp(prefix="primebench-metrics-")
    os.environ[DIR_ENV] = metrics_dir
    os.environ.update(settings.to_env())
    try:
        from granian.constants import HTTPModes, Interfaces, Loops, TaskImpl
        from granian.http import HTTP1Settings
        from granian.log import LogLevels
        from granian.server import Server

        _prepared = _build(settings)
        server = Server(
            "primebench.service.server:load_app",
            address=settings.host,
            port=settings.port,
            interface=Interfaces.RSGI,
            workers=settings.effective_workers(),
            http=HTTPModes.http1,
            websockets=False,
            loop=Loops(settings.loop),
            task_impl=TaskImpl(settings.task_impl),
            backlog=settings.backlog,
            http1_settings=HTTP1Settings(
                max_buffer_size=settings.max_header_bytes,
                header_read_timeout=round(settings.header_timeout * 1000),  # milliseconds
            ),
            log_level=LogLevels(settings.log_level),
            respawn_failed_workers=True,
            respawn_interval=0.5,
            workers_kill_timeout=max(1, round(settings.grace)),
        )
        server.serve(target_loader=load_app, wrap_loader=False)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
        logging.shutdown()
    return 0


def _check_bindable(host: str, port: int) -> None:
    """Refuse a busy or invalid address with a clear message (granian would show a Rust traceback)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise UserError(f"cannot listen on --host {host} --port {port}: {exc.strerror or exc}") from None
