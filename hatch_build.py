"""The wheel's build hook: the shipped prime table, and the hot path compiled by mypyc.

1. The shipped prime table (primebench/primes/shipped/). The service maps the first
   1,000,000 primes from this file at start instead of sieving them (~0.4 s on one core, the
   largest part of a cold start; issue 21, P6). The file (4 MB) is generated, not committed:
   it is written by primebench's own table code (src/primebench/primes/table.py, loaded by
   path: the build environment has only the build's requirements), into the source tree,
   where an editable install (`uv sync`) reads it, and forced into a regular wheel because
   .gitignore keeps it out of git and the sdist. A file already there is reused when its
   header and CRC check out. tests/primes/test_shipped.py checks it against sympy.
2. The floor's hot path compiled (issue 18, P3-core): the own core's connection
   (service/http1.py), the app's answer (service/app.py) and its metrics (service/metrics.py)
   are compiled to C by mypyc from their typed source, beside which they ship; Python
   imports the compiled module first (primebench/compiled.py). Written into the source tree
   too (an editable install imports them there; `uv run` rebuilds when any of their sources
   changes: pyproject's cache-keys).
   `PRIMEBENCH_PURE_PYTHON=1` at build time skips this step: a pure-Python wheel.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_TABLE_MODULE = Path("src") / "primebench" / "primes" / "table.py"
_COMPILED = (
    "src/primebench/service/http1.py",
    "src/primebench/service/app.py",
    "src/primebench/service/metrics.py",
)
# mypyc's shared library of the compiled modules: primebench__mypyc.<abi>.so, beside the package
_GROUP = "primebench"
_PURE_PYTHON_ENV = "PRIMEBENCH_PURE_PYTHON"


class PrimebenchBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        table = _load_table_module(root / _TABLE_MODULE)
        shipped = [Path(table.SHIPPED_PATH)]
        table.write_table_file(shipped[0], table.SHIPPED_COUNT)
        editable = version == "editable"
        if editable:  # compiled in place, where the editable install imports from
            _remove_compiled(root)
        if os.environ.get(_PURE_PYTHON_ENV) != "1":
            # a regular wheel's compiled modules are built apart, so a wheel built from a
            # checkout never touches the modules its editable install is running
            self._scratch = None if editable else tempfile.mkdtemp(prefix="primebench-mypyc-")
            built = _compile(root, self._scratch)
            build_data["pure_python"] = False
            build_data["infer_tag"] = True  # the wheel is for this interpreter and platform
            if not editable:
                for path, inside in built.items():
                    build_data["force_include"][str(path)] = inside
        if not editable:  # an editable install reads the table from the source tree
            inside = shipped[0].relative_to(root / "src").as_posix()
            build_data["force_include"][str(shipped[0])] = inside

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if getattr(self, "_scratch", None):
            shutil.rmtree(self._scratch, ignore_errors=True)


def _load_table_module(path: Path) -> Any:
    """primebench.primes.table alone (stdlib only), without importing the package."""
    spec = importlib.util.spec_from_file_location("_primebench_build_table", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _remove_compiled(root: Path) -> None:
    """Earlier builds' compiled modules: a module no longer compiled must not shadow its source."""
    for pattern in (f"{_GROUP}__mypyc.*", *(Path(p).stem + ".*.so" for p in _COMPILED)):
        for directory in {root / "src", *(root / Path(p).parent for p in _COMPILED)}:
            for path in directory.glob(pattern):
                path.unlink()


def _compile(root: Path, into: str | None) -> dict[Path, str]:
    """Compile `_COMPILED` with mypyc, in place (`into` None) or into `into`: each file
    written, with its path inside the wheel.

    setuptools only drives the C compiler here: its `Distribution` is made in code, so it
    never reads this project's pyproject.toml (hatchling's, not setuptools').
    """
    from mypyc.build import mypycify  # the hook's own requirements (pyproject.toml)
    from setuptools import Distribution

    with tempfile.TemporaryDirectory() as scratch, contextlib.chdir(root):
        # Not the project's [tool.mypy] (strict): the build environment has none of the
        # runtime dependencies, whose types are Any here; `mypy src` in scripts/test checks
        # the same source strictly, with them installed.
        config = Path(scratch) / "mypy.ini"
        config.write_text("[mypy]\nignore_missing_imports = True\n")
        mypy_args = ["--config-file", str(config), *_COMPILED]
        if into is None:  # an editable install's builds reuse mypy's cache
            mypy_args += ["--cache-dir", str(Path(".mypy_cache") / "mypyc-build")]
        else:
            mypy_args += ["--cache-dir", f"{scratch}/mypy-cache"]
        extensions = mypycify(
            mypy_args, opt_level="3", group_name=_GROUP, target_dir=f"{scratch}/c"
        )
        dist = Distribution({"name": "primebench-hot-path", "ext_modules": extensions})
        dist.package_dir = {"": "src"}
        build = dist.get_command_obj("build_ext")
        build.inplace = into is None
        build.build_temp = f"{scratch}/temp"
        build.build_lib = into or f"{scratch}/lib"
        dist.run_command("build_ext")
        base = root / "src" if into is None else Path(into)
        written = {}
        for ext in extensions:
            path = Path(build.get_ext_fullpath(ext.name))  # relative to `root` when in place
            path = path if path.is_absolute() else root / path
            written[path] = path.relative_to(base).as_posix()
        return written
