"""The hot path's two builds: compiled by mypyc (what the wheel ships) and its `.py` source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from primebench import compiled
from tests.servers import start_server
from tests.service.test_cores import check_contract

_ORIGINS = (
    "import importlib, json\n"
    "from primebench import compiled\n"
    "files = [importlib.import_module(m).__file__ for m in compiled.HOT_MODULES]\n"
    "print(json.dumps([compiled.describe(), *files]))\n"
)


def _origins(pure: bool) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != compiled.PURE_PYTHON_ENV}
    if pure:
        env[compiled.PURE_PYTHON_ENV] = "1"
    run = subprocess.run(
        [sys.executable, "-c", _ORIGINS], env=env, capture_output=True, text=True, check=True
    )
    described: list[str] = json.loads(run.stdout)
    return described


def test_the_project_environment_runs_the_compiled_hot_path() -> None:
    """The suite tests what the wheel ships: `uv sync` compiled every hot module, from this source."""
    described, *files = _origins(pure=False)
    assert described == "hot path compiled (mypyc)"
    assert all(not file.endswith(".py") for file in files), files
    assert compiled.stale() == []


def test_the_switch_imports_the_source_of_every_hot_module() -> None:
    described, *files = _origins(pure=True)
    assert described == f"hot path in Python ({compiled.PURE_PYTHON_ENV}=1)"
    assert [Path(file).name for file in files] == ["http1.py", "app.py", "metrics.py"]


def test_a_compiled_module_older_than_its_source_is_stale(tmp_path: Path) -> None:
    built, source = tmp_path / "http1.cpython-311-x86_64-linux-gnu.so", tmp_path / "http1.py"
    built.write_bytes(b"")
    source.write_text("")
    os.utime(built, (1_000_000, 1_000_000))
    os.utime(source, (1_000_001, 1_000_001))  # a wheel's files: within a second or so
    assert not compiled.is_stale(built, source)
    os.utime(source, (1_000_060, 1_000_060))  # edited after the last build
    assert compiled.is_stale(built, source)
    source.unlink()  # a wheel without sources
    assert not compiled.is_stale(built, source)


@pytest.mark.e2e
@pytest.mark.concurrent  # checks answers, no figure
@pytest.mark.parametrize("pure", [False, True], ids=["compiled", "source"])
def test_either_build_serves_the_contract_and_says_which_it_is(
    monkeypatch: pytest.MonkeyPatch, pure: bool
) -> None:
    if pure:
        monkeypatch.setenv(compiled.PURE_PYTHON_ENV, "1")
    else:
        monkeypatch.delenv(compiled.PURE_PYTHON_ENV, raising=False)
    with start_server("--workers", "1", "--answer-cache", "0") as server:
        check_contract(server.url)
        log = server.log()
    said = "hot path in Python" if pure else "hot path compiled (mypyc)"
    assert said in log
