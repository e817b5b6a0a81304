"""What a cold start imports before its first answer (issue 21, P6: <= 0.2 s warm).

The main process imports the app and granian before it forks its workers, so every
module imported there is paid by every start. These are not needed for the first answer
(a table lookup) and are imported where they are used: prometheus_client at the first
scrape (~50 ms), pebble and multiprocessing on the pool's start thread (~25 ms).
(primecountpy, ~10 ms, stays: imported at its first use instead, the worker of
tests/service/test_app.py's service no longer stopped within --grace; cause not found.)
"""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys

import pytest

from primebench.cli import main
from primebench.service.settings import Settings
from primebench.service.sizing import Sizing

DEFERRED = ("prometheus_client", "pebble", "concurrent.futures.process")

# What `primebench serve` imports in its main process before granian forks the workers.
_MAIN_PROCESS = f"""
import json, sys
import primebench.cli
import primebench.service.server, primebench.service.app
from primebench.primes import EngineName, prepare
import granian.server, granian.constants, granian.http, granian.log
engine = prepare(EngineName.FAST, 1000)
assert engine.inline(1000) == 7919
print(json.dumps([m for m in {DEFERRED!r} if m in sys.modules]))
"""


def test_the_main_process_imports_nothing_the_first_answer_does_not_need() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _MAIN_PROCESS],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize("core", ["httptools", "granian"])
def test_serve_imports_with_the_gc_off_and_starts_its_core_with_it_on_and_start_up_frozen(
    monkeypatch: pytest.MonkeyPatch, core: str
) -> None:
    """The cyclic GC would run dozens of times among a start's imports for nothing (P6)."""
    from primebench.service import server, workers

    seen: dict[str, object] = {}
    real_build = server._build

    def build(settings: Settings, sizing: Sizing) -> object:
        seen["while building"] = gc.isenabled()
        return real_build(settings, sizing)

    def starts() -> None:
        seen["when the core starts"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()

    class Granian:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def serve(self, **kwargs: object) -> None:
            starts()

    def own_core(*args: object) -> int:
        starts()
        return 0

    monkeypatch.setattr(server, "_build", build)
    monkeypatch.setattr(server, "_draining_server_class", lambda: Granian)
    monkeypatch.setattr(workers, "run", own_core)
    monkeypatch.setattr(os, "environ", dict(os.environ))  # serve() exports its settings
    sigterm = signal.getsignal(signal.SIGTERM)
    try:
        assert main(["serve", "--server", core, "--host", "127.0.0.1", "--port", "0"]) == 0
    finally:
        signal.signal(signal.SIGTERM, sigterm)
        gc.unfreeze()
        gc.enable()
    assert seen["while building"] is False
    assert seen["when the core starts"] is True
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 10_000
