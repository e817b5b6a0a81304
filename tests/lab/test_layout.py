"""The lab's layout bars: short modules, one meaning per name.

A module past ~400 lines mixes concepts (issue: the flat lab's results.py and procs.py
grew to 450+); a module sharing its name with another lab module or the standard library
(`lab/http.py`, `lab/bench.py` beside `commands/bench.py`) makes every import ambiguous
to a reader. The command modules are exempt from the clash rule among themselves only:
each is named after its subcommand.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

LAB = Path(__file__).resolve().parents[2] / "src" / "primebench" / "lab"
MAX_LINES = 400


def lab_modules() -> list[Path]:
    return sorted(p for p in LAB.rglob("*.py") if p.name != "__init__.py")


def names_in_use() -> dict[str, list[str]]:
    """Leaf name -> where it is used, for modules and sub-packages alike."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in lab_modules():
        found[path.stem].append(str(path.relative_to(LAB)))
    for package in sorted(p for p in LAB.rglob("*") if (p / "__init__.py").is_file()):
        if package != LAB:
            found[package.name].append(str(package.relative_to(LAB)) + "/")
    return found


def test_no_lab_module_is_over_the_limit() -> None:
    long = {
        str(p.relative_to(LAB)): n
        for p in lab_modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these by concept (limit {MAX_LINES} lines): {long}"


def test_no_two_lab_modules_share_a_name() -> None:
    clashes = {name: where for name, where in names_in_use().items() if len(where) > 1}
    assert not clashes, f"one meaning per name: {clashes}"


def test_no_lab_module_shadows_the_standard_library() -> None:
    shadowing = {
        name: where for name, where in names_in_use().items() if name in sys.stdlib_module_names
    }
    assert not shadowing, f"renamed, these would not read as the stdlib's: {shadowing}"


def test_the_checks_see_the_lab() -> None:
    """A moved tree must not make the checks above pass vacuously."""
    assert len(lab_modules()) > 40
    assert {"model", "host", "contenders", "run", "render", "commands"} <= set(names_in_use())
