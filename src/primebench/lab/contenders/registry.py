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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from primebench.errors import UserError
from primebench.lab.contenders import artifacts
from primebench.lab.contenders.manifest import (
    MANIFEST,
    ArtifactKind,
    ArtifactSpec,
    Contender,
    Contract,
    ManifestError,
    parse,
)
from primebench.lab.host import tool_runs
from primebench.lab.model.contender_records import BuildOutcome

__all__ = [
    "ArtifactKind",
    "ArtifactSize",
    "ArtifactSpec",
    "Availability",
    "BuildOutcome",
    "Contender",
    "Contract",
    "ManifestError",
    "Registry",
    "UnknownContender",
    "artifact_size",
    "availability",
    "build",
    "default_cores",
    "default_root",
    "run_argv",
    "run_env",
    "search_dirs",
    "version",
]

BUILD_TIMEOUT_S = 1800.0
VERSION_TIMEOUT_S = 60.0
# Extra contender directories, searched after the built-in `contenders/` (os.pathsep-separated).
CONTENDERS_DIR_ENV = "PRIMEBENCH_CONTENDERS_DIR"
CONTENDERS_DIR_HELP = (
    "a directory holding contenders of your own (DIR/<name>/contender.toml), searched after "
    f"the built-in ones; repeatable; also ${CONTENDERS_DIR_ENV} (os.pathsep-separated)"
)
ArtifactSize = artifacts.ArtifactSize


class UnknownContender(UserError):
    """A contender name that no manifest declares; the message lists the valid names."""


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str  # "" when available

    def __str__(self) -> str:
        return "available" if self.available else f"unavailable: {self.reason}"


CHECKOUT = Path(__file__).resolve().parents[4]
"""The source checkout this module runs from (src/primebench/lab/contenders/registry.py)."""


def default_root() -> Path:
    """The repository root holding `contenders/`: $PRIMEBENCH_ROOT, the source checkout, or the cwd."""
    candidates = [Path(p) for p in (os.environ.get("PRIMEBENCH_ROOT"),) if p]
    candidates += [CHECKOUT, Path.cwd()]
    for root in candidates:
        if (root / "contenders").is_dir():
            return root
    raise UserError(
        "no contenders/ directory found: run from the primebench checkout or set PRIMEBENCH_ROOT"
    )


def search_dirs(
    flag_dirs: Sequence[Path] = (), environ: Mapping[str, str] | None = None
) -> tuple[Path, ...]:
    """Where contenders of one's own are looked for: the flag's dirs, then the env var's."""
    value = (os.environ if environ is None else environ).get(CONTENDERS_DIR_ENV, "")
    return (*flag_dirs, *(Path(p) for p in value.split(os.pathsep) if p))


def _scan(directory: Path, root: Path, *, builtin: bool) -> list[Contender]:
    return [parse(p, root=root, builtin=builtin) for p in sorted(directory.glob(f"*/{MANIFEST}"))]


def _extra_dir(directory: Path) -> Path:
    """An extra contenders directory, checked: it holds contender directories, not a manifest."""
    if not directory.is_dir():
        raise UserError(f"contenders directory {directory} does not exist or is not a directory")
    if (directory / MANIFEST).is_file():
        raise UserError(
            f"{directory / MANIFEST}: a contenders directory holds one directory per contender "
            f"(DIR/<name>/{MANIFEST}); pass its parent, {directory.resolve().parent}"
        )
    return directory.resolve()


def _refuse_clash(new: Contender, first: Contender) -> None:
    if first.builtin:
        raise ManifestError(
            f"{new.manifest}: key 'name' {new.name!r} is taken by the built-in contender "
            f"{first.manifest}; rename the directory and its name"
        )
    raise ManifestError(
        f"{new.manifest}: key 'name' {new.name!r} is taken by {first.manifest}, found earlier "
        "in the search order (--contenders-dir in order, then $"
        f"{CONTENDERS_DIR_ENV}); rename one of them"
    )


@dataclass(frozen=True)
class Registry:
    """All manifests, in table order (manifest `order`, then name).

    Searched in order: `<root>/contenders` (the built-in ones), then each extra
    directory (`--contenders-dir` values, then $PRIMEBENCH_CONTENDERS_DIR). A name
    found twice is refused, naming both manifests.
    """

    root: Path
    contenders: tuple[Contender, ...]

    @classmethod
    def load(cls, root: Path | None = None, dirs: Sequence[Path] = ()) -> Registry:
        root = (root or default_root()).resolve()
        builtin_dir = (root / "contenders").resolve()
        found = {c.name: c for c in _scan(builtin_dir, root, builtin=True)}
        seen = {builtin_dir}
        for directory in map(_extra_dir, dirs):
            if directory in seen:
                continue
            seen.add(directory)
            for c in _scan(directory, root, builtin=False):
                if c.name in found:
                    _refuse_clash(c, found[c.name])
                found[c.name] = c
        return cls(root, tuple(sorted(found.values(), key=lambda c: (c.order, c.name))))

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


def default_cores() -> int:
    """The CPUs this process may run on: what a server started from here would get."""
    return len(os.sched_getaffinity(0))


def _expand(arg: str, c: Contender, host: str, port: int, cores: int) -> str:
    for key, value in (
        ("{port}", str(port)),
        ("{host}", host),
        ("{cores}", str(cores)),
        ("{python}", sys.executable),
        ("{root}", str(c.root)),
    ):
        arg = arg.replace(key, value)
    return arg


def _absolute_program(argv: list[str], c: Contender) -> list[str]:
    """`./bin/server` is relative to the contender directory, whatever the caller's cwd."""
    if argv and "/" in argv[0] and not os.path.isabs(argv[0]):
        argv[0] = str((c.directory / argv[0]).resolve())
    return argv


def _tool_argv(step: Sequence[str], c: Contender) -> list[str]:
    """A build or version argv: no server yet, so no port; cores are this process's."""
    return _absolute_program([_expand(a, c, "127.0.0.1", 0, default_cores()) for a in step], c)


def run_argv(c: Contender, host: str, port: int, *, cores: int | None = None) -> list[str]:
    """The server's argv, placeholders expanded; `cores` defaults to this process's CPUs."""
    cores = default_cores() if cores is None else cores
    return _absolute_program([_expand(a, c, host, port, cores) for a in c.run], c)


def run_env(c: Contender, host: str, port: int, *, cores: int | None = None) -> dict[str, str]:
    """The lab's environment plus the manifest's `[env]`, with HOST, PORT and CORES always set."""
    env = dict(os.environ)
    env.update(c.env)
    env["HOST"] = host
    env["PORT"] = str(port)
    env["CORES"] = str(default_cores() if cores is None else cores)
    return env


def _present(requirement: str, c: Contender) -> bool:
    """An executable on PATH, or (`./x`, `dir/x`) an executable file under the contender dir."""
    if "/" not in requirement:
        return shutil.which(requirement) is not None
    path = c.directory / requirement
    return path.is_file() and os.access(path, os.X_OK)


def availability(c: Contender) -> Availability:
    """Available when every required executable is there (builds are checked by `build`)."""
    on_path = [r for r in c.requires if "/" not in r and not _present(r, c)]
    local = [r for r in c.requires if "/" in r and not _present(r, c)]
    reasons = []
    if on_path:
        reasons.append(f"{', '.join(on_path)} not found on PATH")
    if local:
        reasons.append(f"{', '.join(local)} not found in {c.directory}")
    return Availability(not reasons, "; ".join(reasons))


def build(c: Contender, log: Path | None = None) -> BuildOutcome:
    """Run the build steps in order (cheap when up to date); the first failure stops it.

    Output of every step is appended to `log` when given; the reason carries the
    failing step and the tail of its stderr.
    """
    started = time.monotonic()
    for step in c.build:
        argv = _tool_argv(step, c)
        try:
            run = tool_runs.run_tool(argv, cpus=None, timeout_s=BUILD_TIMEOUT_S, cwd=c.directory)
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
    argv = _tool_argv(c.version, c)
    try:
        run = tool_runs.run_tool(argv, cpus=None, timeout_s=VERSION_TIMEOUT_S, cwd=c.directory)
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
    return artifacts.measure(c.directory, c.artifact.paths, c.artifact.kind, c.artifact.label)


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
