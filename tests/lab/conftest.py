"""Fixtures for the lab tests: the real registry, and throw-away manifest trees."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from primebench.lab.contenders.registry import Registry

FAKE = Path(__file__).with_name("fake_server.py")
ManifestWriter = Callable[..., Path]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load()


@pytest.fixture
def manifest_root(tmp_path: Path) -> ManifestWriter:
    """Write `contenders/<name>/contender.toml` under tmp_path; returns the root to load."""

    def write(
        name: str,
        *,
        requires: str = "[]",
        run: str | None = None,
        contract: str = "seed",
        extra: str = "",
    ) -> Path:
        directory = tmp_path / "contenders" / name
        directory.mkdir(parents=True, exist_ok=True)
        run = run or f'["{sys.executable}", "{FAKE}", "serve"]'
        (directory / "contender.toml").write_text(
            f'name = "{name}"\nlanguage = "Python"\ndescription = "test double"\ncontract = "{contract}"\n'
            f'requires = {requires}\nrun = {run}\nversion = ["{{python}}", "--version"]\n{extra}\n'
            '[artifact]\nkind = "runtime+deps"\npaths = ["contender.toml"]\nlabel = "manifest only"\n',
            encoding="utf-8",
        )
        return tmp_path

    return write
