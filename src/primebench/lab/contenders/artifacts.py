"""How big is what a contender ships? Bytes on disk of its artifact, honestly labelled.

The article compared a Go binary to "N/A (requires runtime)". A fair table counts
the runtime too, so an artifact is either a binary or a runtime plus its installed
dependencies. Paths in a manifest may be placeholders:

- `{which:EXE}`: the real file behind an executable on PATH (e.g. the node binary);
- `{python-runtime}`: the CPython interpreter binary, libpython if shared, and the
  standard library (without its site-packages);
- `{python-env}`: the installed files of `primebench` and its runtime dependency
  closure (from importlib.metadata), *not* the whole virtualenv, which also holds
  the dev tools (mypy, pytest, sympy...) that a deployment would not ship;
- `{python-env:DIST,DIST[EXTRA],...}`: the same closure for other distributions (a
  contender that is not primebench, e.g. `fastapi,uvicorn[standard]`); an extra adds
  the requirements it gates (those installed here; other markers are not evaluated).

Python trees are pruned the way the official `python:3.11-slim` image prunes its
own (no `test`/`tests`/`idle_test` directories, no `*.pyc`/`*.pyo`, no static
`libpython*.a`), so the figure is what a slim deployment would carry, not what a
developer's checkout happens to hold. Every file is counted once (by device and
inode); symlinks are not followed inside trees.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import shutil
import sys
import sysconfig
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from primebench.lab.model.contender_records import ArtifactSize
from primebench.lab.model.vocabulary import ArtifactKind

__all__ = ["ArtifactSize", "measure"]


_SLIM_SKIP_DIRS = frozenset({"test", "tests", "idle_test"})


def _slim(path: Path) -> bool:
    """What the official slim Python image deletes from its own tree."""
    return path.suffix in (".pyc", ".pyo") or (
        path.name.startswith("libpython") and path.suffix == ".a"
    )


def _files(
    path: Path, skip_dirs: frozenset[str] = frozenset(), *, python: bool = False
) -> Iterator[Path]:
    if path.is_file():
        yield path.resolve()
        return
    skip = skip_dirs | _SLIM_SKIP_DIRS if python else skip_dirs
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            file = Path(dirpath, name)
            if not (python and _slim(file)):
                yield file


def _python_runtime() -> list[tuple[str, Iterable[Path]]]:
    parts: list[tuple[str, Iterable[Path]]] = [
        (os.path.realpath(sys.executable), _files(Path(sys.executable)))
    ]
    libdir, ldlibrary = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("LDLIBRARY")
    if sysconfig.get_config_var("Py_ENABLE_SHARED") and libdir and ldlibrary:
        lib = Path(libdir, ldlibrary)
        if lib.exists():
            parts.append((str(lib.resolve()), _files(lib)))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts.append(
        (
            f"{stdlib} (slim: no site-packages, tests, .pyc)",
            _files(stdlib, frozenset({"site-packages"}), python=True),
        )
    )
    return parts


_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")
_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def _with_extras(spec: str) -> tuple[str, frozenset[str]] | None:
    """`uvicorn[standard]` -> ("uvicorn", {"standard"}); version and markers are ignored."""
    match = _SPEC.match(spec)
    if match is None:
        return None
    extras = frozenset(e.strip() for e in (match.group(2) or "").split(",") if e.strip())
    return match.group(1), extras


def _requirement_names(dist: md.Distribution, extras: frozenset[str] = frozenset()) -> list[str]:
    """Runtime requirements: those gated on an `extra` only when that extra was asked for."""
    names = []
    for req in dist.requires or []:
        gate = _EXTRA.search(req)
        if gate is not None and gate.group(1) not in extras:
            continue
        names.append(req.split(";")[0].strip())
    return names


def _dist_files(dist: md.Distribution) -> Iterator[Path]:
    for entry in dist.files or []:
        path = Path(str(entry.locate()))
        if path.is_file() and not _slim(path) and not _SLIM_SKIP_DIRS.intersection(entry.parts):
            yield path
            if path.suffix == ".pth":  # an editable install points at its source tree
                for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                    target = Path(line.strip())
                    if line.strip() and not line.startswith(("import ", "#")) and target.is_dir():
                        yield from _files(target, python=True)


def _python_env(roots: Sequence[str] = ("primebench",)) -> list[tuple[str, Iterable[Path]]]:
    """The installed closure of `roots` (each `name` or `name[extra,...]`)."""
    seen: dict[str, md.Distribution] = {}
    done: set[tuple[str, frozenset[str]]] = set()
    todo = list(roots)
    while todo:
        parsed = _with_extras(todo.pop())
        if parsed is None:
            continue
        name, extras = parsed
        key = re.sub(r"[-_.]+", "-", name).lower()
        if (key, extras) in done:
            continue
        done.add((key, extras))
        try:
            dist = seen.get(key) or md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen[key] = dist
        todo.extend(_requirement_names(dist, extras))
    return [(f"{d.metadata['Name']}=={d.version}", _dist_files(d)) for _, d in sorted(seen.items())]


def _split_dists(text: str) -> list[str]:
    """`fastapi,uvicorn[standard,x]`: commas inside brackets belong to the extras."""
    return [m.group(0).strip() for m in re.finditer(r"[^,\[]+(?:\[[^\]]*\])?", text)]


def _expand(spec: str, directory: Path) -> list[tuple[str, Iterable[Path]]] | None:
    if spec == "{python-runtime}":
        return _python_runtime()
    if spec == "{python-env}":
        return _python_env()
    if spec.startswith("{python-env:") and spec.endswith("}"):
        return _python_env(_split_dists(spec[len("{python-env:") : -1]))
    if spec.startswith("{which:") and spec.endswith("}"):
        found = shutil.which(spec[len("{which:") : -1])
        return None if found is None else [(os.path.realpath(found), _files(Path(found)))]
    path = (directory / spec).resolve()
    return [(str(path), _files(path))] if path.exists() else None


def measure(directory: Path, specs: Sequence[str], kind: ArtifactKind, label: str) -> ArtifactSize:
    """Sum the sizes of every file named by `specs` (relative to `directory`, or placeholders)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    counted: list[str] = []
    missing: list[str] = []
    for spec in specs:
        parts = _expand(spec, directory)
        if parts is None:
            missing.append(spec)
            continue
        for name, files in parts:
            counted.append(name)
            for path in files:
                try:
                    st = path.stat()
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    total += st.st_size
    return ArtifactSize(total, kind, label, tuple(counted), tuple(missing))
