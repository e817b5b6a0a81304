"""Golden-file comparison for the renderers: set PRIMEBENCH_UPDATE_GOLDEN=1 to rewrite them."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).with_name("golden")
FIXTURE = Path(__file__).parent / "fixtures" / "results-small.json"


def assert_golden(name: str, actual: str) -> None:
    """`actual` must equal golden/<name> byte for byte (a diff in the failure shows what moved)."""
    path = GOLDEN / name
    if os.environ.get("PRIMEBENCH_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{name} changed; if intended, re-run with PRIMEBENCH_UPDATE_GOLDEN=1"
    )
