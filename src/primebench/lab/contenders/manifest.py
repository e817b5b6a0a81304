"""One contender's manifest, `<dir>/<name>/contender.toml`, read and checked.

A manifest is often written by a reader adding their own stack, outside this
repository, so every mistake is refused with one line naming the file, the key and
what the key allows (a TOML syntax error keeps tomllib's line and column). The first
mistake found is reported: syntax, then unknown keys, missing keys, then each key's
value in the order of `KEYS`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from primebench.errors import UserError
from primebench.lab.model.results import ARTICLE_ALGORITHM
from primebench.lab.model.vocabulary import ArtifactKind, Contract

__all__ = [
    "ARTIFACT_KEYS",
    "KEYS",
    "MANIFEST",
    "ArtifactKind",
    "ArtifactSpec",
    "Contender",
    "Contract",
    "ManifestError",
    "parse",
]

MANIFEST = "contender.toml"


class ManifestError(UserError):
    """A manifest that cannot be used; the message is one line: file, key, what is allowed."""


@dataclass(frozen=True)
class ArtifactSpec:
    kind: ArtifactKind
    paths: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class Contender:
    """One manifest, validated. `directory` is absolute; argv may hold placeholders.

    `root` is the primebench checkout whose lab runs it (the `{root}` placeholder);
    `builtin` is False for a contender found in a `--contenders-dir`. `algorithm` says how
    it finds the nth prime, so a report never sets a table lookup beside a computation
    unmarked.
    """

    name: str
    order: int
    language: str
    description: str
    differs_from_article: str
    contract: Contract
    directory: Path
    requires: tuple[str, ...]
    build: tuple[tuple[str, ...], ...]
    run: tuple[str, ...]
    version: tuple[str, ...]
    env: Mapping[str, str]
    artifact: ArtifactSpec
    root: Path
    builtin: bool = True
    algorithm: str = ARTICLE_ALGORITHM

    @property
    def manifest(self) -> Path:
        return self.directory / MANIFEST


_ARGV = "a non-empty list of non-empty strings (an argv)"
_Check = Callable[[Any], Any]


def _text(empty_ok: bool) -> tuple[str, _Check]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not (empty_ok or value.strip()):
            raise ValueError
        return value

    return ("a string" if empty_ok else "a non-empty string"), check


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    return value


def _argv(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise TypeError
    if not all(isinstance(v, str) and v for v in value):
        raise TypeError
    return tuple(value)


def _strings(value: Any) -> tuple[str, ...]:
    return () if value == [] else _argv(value)


def _steps(value: Any) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        raise TypeError
    return tuple(_argv(step) for step in value)


def _table(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError
    return value


def _enum(enum: type[StrEnum]) -> tuple[str, _Check]:
    return "one of " + ", ".join(m.value for m in enum), enum


# key -> (required, what is allowed, check); `artifact` and `env` are tables, checked apart.
KEYS: dict[str, tuple[bool, str, _Check]] = {
    "name": (True, *_text(empty_ok=False)),
    "order": (False, "an integer (table order, default 1000)", _integer),
    "language": (True, *_text(empty_ok=False)),
    "description": (True, *_text(empty_ok=False)),
    "differs_from_article": (False, *_text(empty_ok=True)),
    "algorithm": (False, *_text(empty_ok=False)),
    "contract": (False, *_enum(Contract)),
    "requires": (False, "a list of non-empty strings (executables, or ./paths)", _strings),
    "build": (False, f"a list of argv lists, each {_ARGV}", _steps),
    "run": (True, _ARGV, _argv),
    "version": (True, _ARGV, _argv),
    "env": (False, "a table of string values", _table),
    "artifact": (True, "a table with keys kind, paths, label", _table),
}
ARTIFACT_KEYS: dict[str, tuple[str, _Check]] = {
    "kind": _enum(ArtifactKind),
    "paths": ("a non-empty list of non-empty strings (files, dirs or placeholders)", _argv),
    "label": _text(empty_ok=False),
}
_DEFAULTS: dict[str, Any] = {
    "order": 1000,
    "differs_from_article": "",
    "algorithm": ARTICLE_ALGORITHM,
    "contract": "seed",
    "requires": [],
    "build": [],
    "env": {},
}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _checked(path: Path, key: str, value: Any, allowed: str, check: _Check) -> Any:
    try:
        return check(value)
    except (ValueError, TypeError):
        raise ManifestError(f"{path}: key '{key}' must be {allowed}, got {_show(value)}") from None


def _keys(
    path: Path,
    data: Mapping[str, Any],
    allowed: Mapping[str, Any],
    required: list[str],
    prefix: str,
) -> None:
    for key in data:
        if key not in allowed:
            raise ManifestError(
                f"{path}: unknown key '{prefix}{key}' (allowed: {', '.join(allowed)})"
            )
    for key in required:
        if key not in data:
            raise ManifestError(
                f"{path}: missing key '{prefix}{key}' (required: {', '.join(required)})"
            )


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: invalid TOML: {exc}") from None


def _artifact(path: Path, table: dict[str, Any]) -> ArtifactSpec:
    _keys(path, table, ARTIFACT_KEYS, list(ARTIFACT_KEYS), "artifact.")
    values = {
        key: _checked(path, f"artifact.{key}", table[key], allowed, check)
        for key, (allowed, check) in ARTIFACT_KEYS.items()
    }
    return ArtifactSpec(values["kind"], values["paths"], values["label"])


def _env(path: Path, table: dict[str, Any]) -> dict[str, str]:
    for key, value in table.items():
        _checked(path, f"env.{key}", value, "a string", _text(empty_ok=True)[1])
    return dict(table)


def parse(path: Path, *, root: Path, builtin: bool = True) -> Contender:
    """Read and check the manifest at `path`; raises ManifestError (one line) on a mistake."""
    data = _read(path)
    _keys(path, data, KEYS, [key for key, (required, *_) in KEYS.items() if required], "")
    values = {
        key: _checked(path, key, data.get(key, _DEFAULTS.get(key)), allowed, check)
        for key, (_, allowed, check) in KEYS.items()
    }
    directory = path.parent.resolve()
    if values["name"] != path.parent.name:
        raise ManifestError(
            f"{path}: key 'name' must equal the directory name {path.parent.name!r}, "
            f"got {_show(values['name'])}"
        )
    return Contender(
        name=values["name"],
        order=values["order"],
        language=values["language"],
        description=values["description"],
        differs_from_article=values["differs_from_article"],
        contract=values["contract"],
        directory=directory,
        requires=values["requires"],
        build=values["build"],
        run=values["run"],
        version=values["version"],
        env=_env(path, values["env"]),
        artifact=_artifact(path, values["artifact"]),
        root=root,
        builtin=builtin,
        algorithm=values["algorithm"],
    )
