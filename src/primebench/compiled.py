"""Which modules of the hot path run compiled by mypyc, and the switch back to their source.

Why: a floor request is mostly the interpreter running the core's and the app's Python
(docs/PERFORMANCE.md, issue 18), so the build compiles those modules to C with mypyc
(hatch_build.py), with the metrics the app counts each answer in. Each ships twice, compiled and as its `.py`, and
Python imports the compiled one first. `PRIMEBENCH_PURE_PYTHON=1` makes it import the
source instead: for a profiler's line view, to rule the compiler out when chasing a bug, or
to measure what compiling buys (the lab's primebench-pure-python variant). A build without
hooks (`HATCH_BUILD_NO_HOOKS=true`) has no compiled modules at all, and runs the same.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

__all__ = ["HOT_MODULES", "PURE_PYTHON_ENV", "describe", "is_stale", "prefer_source", "stale"]

HOT_MODULES = (
    "primebench.service.http1",
    "primebench.service.app",
    "primebench.service.metrics",
)
PURE_PYTHON_ENV = "PRIMEBENCH_PURE_PYTHON"
# A compiled module this much older than its source was built from an older source (an
# editable install not yet rebuilt); a wheel's files are written within a second or so.
_STALE_AFTER_S = 2.0


class _SourceFirst:
    """A meta-path finder that gives the hot modules' `.py` files precedence (the switch)."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name not in HOT_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.origin is None or spec.origin.endswith(".py"):
            return spec
        source = Path(spec.origin).with_name(name.rpartition(".")[2] + ".py")
        return importlib.util.spec_from_file_location(name, source) if source.exists() else spec


def prefer_source() -> None:
    """Import the hot modules from their `.py` files; call before they are first imported."""
    if not any(isinstance(finder, _SourceFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst())


def _origin(module: str) -> str:
    loaded = sys.modules.get(module)
    origin = getattr(loaded, "__file__", None)
    if origin is None:
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None else None
    return origin or ""


def _is_compiled(origin: str) -> bool:
    return not origin.endswith(".py")


def is_stale(compiled: Path, source: Path) -> bool:
    """Whether `compiled` was built from an older `source` than the one beside it."""
    return source.exists() and source.stat().st_mtime > compiled.stat().st_mtime + _STALE_AFTER_S


def stale() -> list[str]:
    """The hot modules whose compiled file is older than their source (rebuild: `uv sync`)."""
    found = []
    for module in HOT_MODULES:
        origin = _origin(module)
        if _is_compiled(origin):
            compiled = Path(origin)
            if is_stale(compiled, compiled.with_name(module.rpartition(".")[2] + ".py")):
                found.append(module)
    return found


def describe() -> str:
    """How the hot path runs, in a few words (the start-up line, the lab's version string)."""
    compiled = [module for module in HOT_MODULES if _is_compiled(_origin(module))]
    if len(compiled) == len(HOT_MODULES):
        return "hot path compiled (mypyc)"
    if compiled:
        return "hot path partly compiled (mypyc: " + ", ".join(compiled) + ")"
    if os.environ.get(PURE_PYTHON_ENV) == "1":
        return f"hot path in Python ({PURE_PYTHON_ENV}=1)"
    return "hot path in Python (not compiled)"
