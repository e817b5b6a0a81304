"""The servers under test, described by data: `contenders/<name>/contender.toml`.

Each contender is a directory with its source and a manifest saying how to build,
run and version it and what counts as its artifact (TechEmpower's
`benchmark_config.json`, pyperformance's `bm_*/pyproject.toml`). The registry is
explicit: an unknown name is refused with the list of valid ones, and a missing
toolchain makes a contender *unavailable* with a reason, never a crash.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from primebench.errors import UserError
from primebench.lab import artifacts, procs

__all__ = [
    "ArtifactKind",
    "ArtifactSize",
    "ArtifactSpec",
    "Availability",
    "BuildOutcome",
    "Contender",
    "Contract",
    "Registry",
    "UnknownContender",
    "artifact_size",
    "availability",
    "build",
    "default_root",
    "run_argv",
    "run_env",
    "version",
]

MANIFEST = "contender.toml"
BUILD_TIMEOUT_S = 1800.0
VERSION_TIMEOUT_S = 60.0
ArtifactSize = artifacts.ArtifactSize


class Contract(StrEnum):
    """Which input contract conformance checks: the article's servers only record bad input."""

    SEED = "seed"
    STRICT = "strict"


class ArtifactKind(StrEnum):
    BINARY = "binary"
    RUNTIME_DEPS = "runtime+deps"


class UnknownContender(UserError):
    """A contender name that no manifest declares; the message lists the valid names."""


@dataclass(frozen=True)
class ArtifactSpec:
    kind: ArtifactKind
    paths: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class Contender:
    """One manifest, validated. `directory` is absolute; argv may hold placeholders."""

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


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str  # "" when available

    def __str__(self) -> str:
        return "available" if self.available else f"unavailable: {self.reason}"


@dataclass(frozen=True)
class BuildOutcome:
    ok: bool
    seconds: float
    reason: str  # "" when ok


_REQUIRED = {"name", "language", "description", "run", "version", "artifact"}
_OPTIONAL = {"order", "differs_from_article", "contract", "requires", "build", "env"}


def _argv(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise UserError(f"{where} must be a non-empty list of non-empty strings, got {value!r}")
    return tuple(value)


def _choice(value: Any, enum: type[StrEnum], where: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise UserError(f"{where} must be one of {allowed}, got {value!r}") from None


def _parse(path: Path) -> Contender:
    """Read and check one manifest; every complaint names the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path}: cannot read manifest: {exc}") from exc
    missing = sorted(_REQUIRED - data.keys())
    unknown = sorted(data.keys() - _REQUIRED - _OPTIONAL)
    if missing or unknown:
        raise UserError(f"{path}: missing keys {missing}, unknown keys {unknown}")
    if data["name"] != path.parent.name:
        raise UserError(
            f"{path}: name {data['name']!r} must equal the directory name {path.parent.name!r}"
        )
    art = data["artifact"]
    if not isinstance(art, dict) or set(art) != {"kind", "paths", "label"}:
        raise UserError(f"{path}: [artifact] needs exactly kind, paths, label")
    env = data.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise UserError(f"{path}: [env] values must be strings")
    requires = data.get("requires", [])
    return Contender(
        name=data["name"],
        order=int(data.get("order", 1000)),
        language=str(data["language"]),
        description=str(data["description"]),
        differs_from_article=str(data.get("differs_from_article", "")),
        contract=_choice(data.get("contract", "seed"), Contract, f"{path}: contract"),
        directory=path.parent.resolve(),
        requires=_argv(requires, f"{path}: requires") if requires else (),
        build=tuple(_argv(step, f"{path}: build step") for step in data.get("build", [])),
        run=_argv(data["run"], f"{path}: run"),
        version=_argv(data["version"], f"{path}: version"),
        env=dict(env),
        artifact=ArtifactSpec(
            kind=_choice(art["kind"], ArtifactKind, f"{path}: artifact.kind"),
            paths=_argv(art["paths"], f"{path}: artifact.paths"),
            label=str(art["label"]),
        ),
    )


def default_root() -> Path:
    """The repository root holding `contenders/`: $PRIMEBENCH_ROOT, the source checkout, or the cwd."""
    candidates = [Path(p) for p in (os.environ.get("PRIMEBENCH_ROOT"),) if p]
    candidates += [Path(__file__).resolve().parents[3], Path.cwd()]
    for root in candidates:
        if (root / "contenders").is_dir():
            return root
    raise UserError(
        "no contenders/ directory found: run from the primebench checkout or set PRIMEBENCH_ROOT"
    )


@dataclass(frozen=True)
class Registry:
    """All manifests under `<root>/contenders`, in table order (manifest `order`, then name)."""

    root: Path
    contenders: tuple[Contender, ...]

    @classmethod
    def load(cls, root: Path | None = None) -> Registry:
        root = (root or default_root()).resolve()
        found = [_parse(p) for p in sorted((root / "contenders").glob(f"*/{MANIFEST}"))]
        return cls(root, tuple(sorted(found, key=lambda c: (c.order, c.name))))

    def names(self) -> list[str]:
        return [c.name for c in self.contenders]

    def get(self, name: str) -> Contender:
        for contender in self.contenders:
            if contender.name == name:
                return contender
        valid = ", ".join(self.names()) or "(none)"
        raise UnknownContender(f"unknown contender {name!r}; valid contenders: {valid}")

    def select(self, names: Sequence[str]) -> list[Contender]:
        """The named contenders in the order given (all of them, in table order, when empty)."""
        return [self.get(n) for n in names] if names else list(self.contenders)


def _expand(arg: str, c: Contender, host: str, port: int) -> str:
    for key, value in (
        ("{port}", str(port)),
        ("{host}", host),
        ("{python}", sys.executable),
        ("{root}", str(c.directory.parent.parent)),
    ):
        arg = arg.replace(key, value)
    return arg


def _absolute_program(argv: list[str], c: Contender) -> list[str]:
    """`./bin/server` is relative to the contender directory, whatever the caller's cwd."""
    if argv and "/" in argv[0] and not os.path.isabs(argv[0]):
        argv[0] = str((c.directory / argv[0]).resolve())
    return argv


def run_argv(c: Contender, host: str, port: int) -> list[str]:
    return _absolute_program([_expand(a, c, host, port) for a in c.run], c)


def run_env(c: Contender, host: str, port: int) -> dict[str, str]:
    """The lab's environment plus the manifest's `[env]`, with HOST and PORT always set."""
    env = dict(os.environ)
    env.update(c.env)
    env["HOST"] = host
    env["PORT"] = str(port)
    return env


def availability(c: Contender) -> Availability:
    """Available when every required executable is on PATH (builds are checked by `build`)."""
    missing = [exe for exe in c.requires if shutil.which(exe) is None]
    if missing:
        return Availability(False, f"{', '.join(missing)} not found on PATH")
    return Availability(True, "")


def build(c: Contender, log: Path | None = None) -> BuildOutcome:
    """Run the build steps in order (cheap when up to date); the first failure stops it.

    Output of every step is appended to `log` when given; the reason carries the
    failing step and the tail of its stderr.
    """
    started = time.monotonic()
    for step in c.build:
        argv = [_expand(a, c, "127.0.0.1", 0) for a in step]
        try:
            run = procs.run_tool(argv, cpus=None, timeout_s=BUILD_TIMEOUT_S, cwd=c.directory)
        except OSError as exc:
            return BuildOutcome(
                False, time.monotonic() - started, f"{argv[0]}: {exc.strerror or exc}"
            )
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as fh:
                fh.write(f"$ {' '.join(argv)}\n{run.stdout}{run.stderr}")
        if not run.ok:
            what = (
                f"timed out after {BUILD_TIMEOUT_S:g} s"
                if run.timed_out
                else f"exited {run.returncode}"
            )
            tail = (run.stderr or run.stdout).strip()[-600:]
            return BuildOutcome(
                False, time.monotonic() - started, f"`{' '.join(argv)}` {what}: {tail}"
            )
    return BuildOutcome(True, time.monotonic() - started, "")


def version(c: Contender) -> str:
    """What the version argv prints (first non-empty line); `unknown: <reason>` on failure."""
    argv = [_expand(a, c, "127.0.0.1", 0) for a in c.version]
    try:
        run = procs.run_tool(argv, cpus=None, timeout_s=VERSION_TIMEOUT_S, cwd=c.directory)
    except OSError as exc:
        return f"unknown: {argv[0]}: {exc.strerror or exc}"
    lines = [line.strip() for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    if not run.ok:
        return f"unknown: `{' '.join(argv)}` exited {run.returncode}" + (
            f": {lines[-1]}" if lines else ""
        )
    return lines[0] if lines else "unknown: no output"


def artifact_size(c: Contender) -> ArtifactSize:
    """Bytes of what a deployment ships: the binary, or the runtime plus its dependencies."""
    return artifacts.measure(c.directory, c.artifact.paths, c.artifact.kind.value, c.artifact.label)


def build_all(root: Path | None = None) -> int:
    """Build every available contender, quietly; print one line each, errors in full.

    Used by `scripts/setup-contenders`. A failed build is a warning, not an abort:
    the lab reports that contender as failed and measures the others. Returns the
    number of failed builds.
    """
    failed = 0
    for c in Registry.load(root).contenders:
        avail = availability(c)
        if not avail.available:
            print(f"[setup] warning: {c.name} {avail}", file=sys.stderr)
            continue
        if not c.build:
            continue
        outcome = build(c)
        if outcome.ok:
            print(f"[setup] built {c.name} ({outcome.seconds:.1f} s)", file=sys.stderr)
        else:
            failed += 1
            print(f"[setup] warning: {c.name} did not build: {outcome.reason}", file=sys.stderr)
    return failed


if __name__ == "__main__":
    build_all()
