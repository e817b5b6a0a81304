"""granian's target loader for the WSGI core: the prepared app, wrapped, in each worker."""

from __future__ import annotations

from primebench.service.cores.bridge import BridgedApp
from primebench.service.cores.wsgi import WsgiApp
from primebench.service.server import load_app

__all__ = ["load_wsgi"]


def load_wsgi(*_: object) -> WsgiApp:
    """Runs in the worker: the engine prepared before the fork is shared, as for RSGI."""
    prepared = load_app()
    return WsgiApp(BridgedApp(prepared.settings, prepared.engine, prepared.sizing))
