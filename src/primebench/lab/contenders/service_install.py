"""Our service installed the way a deployment installs it, for start-up measurements (P6).

A pod runs the image, and a host runs `pip install primebench`: the service's wheel with
no extras, its dependencies at the lock's versions, and every module byte-compiled at
install time (pip does by default; the image sets UV_COMPILE_BYTECODE). The development
environment the lab runs in is none of these: it holds the lab's and the contenders'
packages (granian imports python-dotenv, watchfiles and anyio whenever they are installed),
and `uv sync` leaves it without bytecode, so where PYTHONDONTWRITEBYTECODE is set every
start compiles some sixty modules from source (about a third of a start, docs/SCALING.md).

`install` builds that service install from the checkout, as the Containerfile does: the
lock's service requirements (hashes checked), then the wheel `uv build` makes, without its
dependencies, into a fresh venv on this interpreter. It takes a few seconds with uv's cache.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from primebench.lab.contenders.manifest import Contender
from primebench.lab.host import tool_runs

__all__ = ["InstallFailed", "ServiceInstall", "install", "run_from"]

STEP_TIMEOUT_S = 300.0


class InstallFailed(Exception):
    """The service install could not be built; the message names the step and its output."""


@dataclass(frozen=True)
class ServiceInstall:
    python: Path  # the fresh venv's interpreter
    wheel: str  # the wheel's file name (version included)
    packages: tuple[str, ...]  # "name==version" of every other package in the venv
    build_s: float

    def to_json(self) -> dict[str, Any]:
        """What the document records: enough to say which install was measured."""
        return {
            "kind": "wheel",
            "wheel": self.wheel,
            "packages": list(self.packages),
            "bytecode": True,
            "build_s": round(self.build_s, 3),
        }


def _uv() -> str:
    # `uv run` names itself in $UV; otherwise PATH (README: python3 -m pip install --user uv).
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        raise InstallFailed("uv is not on PATH (README: python3 -m pip install --user uv)")
    return found


def _step(argv: list[str], cwd: Path) -> str:
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    run = tool_runs.run_tool(argv, cpus=None, timeout_s=STEP_TIMEOUT_S, cwd=cwd, env=env)
    if not run.ok:
        tail = (run.stderr or run.stdout).strip()[-600:]
        raise InstallFailed(f"{' '.join(argv[1:3])} failed ({run.returncode}): {tail}")
    return run.stdout


def _others(freeze: str) -> tuple[str, ...]:
    """`uv pip freeze`'s `name==version` lines but primebench's own (a file URL)."""
    return tuple(
        line.strip()
        for line in freeze.splitlines()
        if "==" in line and not line.startswith("primebench")
    )


def install(checkout: Path, into: Path) -> ServiceInstall:
    """Build the service install of `checkout` under `into`; InstallFailed on any step."""
    if not (checkout / "pyproject.toml").is_file():
        raise InstallFailed(f"{checkout} is not a primebench checkout (no pyproject.toml)")
    uv = _uv()
    dist, venv = into / "dist", into / "venv"
    requirements = into / "service-requirements.txt"
    python = venv / "bin" / "python"
    into.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    _step([uv, "build", "--wheel", "--quiet", "--out-dir", str(dist)], checkout)
    _step(
        [uv, "export", "--frozen", "--no-default-groups", "--no-emit-project", "--quiet",
         "--output-file", str(requirements)],
        checkout,
    )  # fmt: skip
    _step([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], into)
    _step(
        [uv, "pip", "install", "--quiet", "--compile-bytecode", "--require-hashes",
         "--python", str(python), "--requirement", str(requirements)],
        into,
    )  # fmt: skip
    wheels = sorted(dist.glob("primebench-*.whl"))
    if len(wheels) != 1:
        raise InstallFailed(f"uv build made {len(wheels)} wheels in {dist}, expected one")
    _step(
        [uv, "pip", "install", "--quiet", "--compile-bytecode", "--no-deps",
         "--python", str(python), str(wheels[0])],
        into,
    )  # fmt: skip
    freeze = _step([uv, "pip", "freeze", "--python", str(python)], into)
    return ServiceInstall(python, wheels[0].name, _others(freeze), time.monotonic() - started)


def run_from(c: Contender, built: ServiceInstall) -> Contender:
    """`c` (a contender run as `{python} -m primebench ...`) started from the install instead."""
    if "{python}" not in c.run:
        raise InstallFailed(f"contender {c.name} does not run on {{python}}: {list(c.run)}")
    run = tuple(str(built.python) if arg == "{python}" else arg for arg in c.run)
    return dataclasses.replace(c, run=run)
