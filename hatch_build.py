"""The wheel's build hook: the shipped prime table (primebench/primes/shipped/), made at build.

The service maps the first 1,000,000 primes from this file at start instead of sieving
them (~0.4 s on one core, the largest part of a cold start; issue 21, P6). The file (4 MB)
is generated, not committed: it is written by primebench's own table code
(src/primebench/primes/table.py, loaded by path: the build environment has only
hatchling), into the source tree, where an editable install (`uv sync`) reads it, and
forced into a regular wheel because .gitignore keeps it out of git and the sdist. A file
already there is reused when its header and CRC check out. tests/primes/test_shipped.py
checks it against sympy.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_TABLE_MODULE = Path("src") / "primebench" / "primes" / "table.py"


class ShippedTableHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        table = _load_table_module(Path(self.root) / _TABLE_MODULE)
        path = Path(table.SHIPPED_PATH)
        table.write_table_file(path, table.SHIPPED_COUNT)
        if version != "editable":  # an editable install reads it from the source tree
            inside = path.relative_to(Path(self.root) / "src").as_posix()
            build_data["force_include"][str(path)] = inside


def _load_table_module(path: Path) -> Any:
    """primebench.primes.table alone (stdlib only), without importing the package."""
    spec = importlib.util.spec_from_file_location("_primebench_build_table", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
