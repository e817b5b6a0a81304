"""service_install: P6 starts the service as a deployment installs it, and says so."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from primebench.lab.contenders import service_install
from primebench.lab.contenders.registry import Registry
from primebench.lab.contenders.service_install import InstallFailed, ServiceInstall


def _built(python: Path) -> ServiceInstall:
    return ServiceInstall(python, "primebench-0.1.0-py3-none-any.whl", ("granian==2.8.9",), 2.5)


def test_run_from_starts_the_install_python_and_keeps_the_rest() -> None:
    ours = Registry.load().get("primebench")
    moved = service_install.run_from(ours, _built(Path("/venv/bin/python")))
    assert moved.run[0] == "/venv/bin/python"
    assert moved.run[1:] == ours.run[1:]
    assert dataclasses.replace(moved, run=ours.run) == ours


def test_run_from_refuses_a_contender_not_run_on_python() -> None:
    go = Registry.load().get("go-seed")
    with pytest.raises(InstallFailed, match="does not run on {python}"):
        service_install.run_from(go, _built(Path("/venv/bin/python")))


def test_the_record_names_the_wheel_packages_and_bytecode() -> None:
    assert _built(Path("/x")).to_json() == {
        "kind": "wheel",
        "wheel": "primebench-0.1.0-py3-none-any.whl",
        "packages": ["granian==2.8.9"],
        "bytecode": True,
        "build_s": 2.5,
    }


def test_a_directory_that_is_no_checkout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InstallFailed, match="not a primebench checkout"):
        service_install.install(tmp_path, tmp_path / "into")


@pytest.mark.e2e
@pytest.mark.concurrent  # builds and inspects an install: no figure
def test_the_install_is_the_service_alone_and_byte_compiled(tmp_path: Path) -> None:
    ours = Registry.load().get("primebench")
    built = service_install.install(ours.root, tmp_path)
    assert built.wheel.startswith("primebench-") and built.wheel.endswith(".whl")
    names = {p.partition("==")[0] for p in built.packages}
    assert {"granian", "primecountpy", "pebble", "uvloop"} <= names
    # None of the lab's or the contenders' packages (granian imports dotenv and watchfiles
    # whenever they are there), and nothing compiled at start: every module has its .pyc.
    assert not names & {
        "numpy",
        "psutil",
        "scipy",
        "pydantic",
        "numba",
        "python-dotenv",
        "watchfiles",
        "anyio",
    }
    probe = (
        "import sys, primebench.service.server, granian.server, primebench.service.app, json;"
        "mods = [m for m in sys.modules.values() if getattr(m, '__spec__', None) and m.__spec__.cached];"
        "import os; print(json.dumps([m.__name__ for m in mods if not os.path.exists(m.__spec__.cached)]))"
    )
    done = subprocess.run(
        [str(built.python), "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert json.loads(done.stdout) == []
