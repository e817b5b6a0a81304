"""`primebench compare BEFORE.json AFTER.json`: what changed between two benches, as ratios.

Ratios are after / before, per scenario, contender and point, for req/s, p50, p99 and
peak memory; a change within the runs' own spread is reported as "same". Two documents
with no scenario, contender and point measured in both are a `UserError` (exit 1): a
comparison of nothing is most often the wrong pair of files, and a script that runs
`compare` must not read it as "no change".
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from primebench.errors import UserError
from primebench.lab.model import results
from primebench.lab.pages import changes

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register `compare`; `func(args) -> int` prints the comparison."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "compare", help="compare two results documents", description=__doc__
    )
    p.add_argument("before", type=Path, metavar="BEFORE.json")
    p.add_argument("after", type=Path, metavar="AFTER.json")
    p.set_defaults(func=lambda args: run(args.before, args.after))


def run(before: Path, after: Path) -> int:
    """Print the comparison; 0 (a comparison is information, not a verdict).

    Raises `UserError` when the two documents have nothing in common to compare.
    """
    old, new = results.load(before), results.load(after)
    if not changes.changes(old, new):
        raise UserError(
            f"nothing to compare: no scenario, contender and point measured in both {before} "
            f"({changes.measured(old)}) and {after} ({changes.measured(new)})"
        )
    print(changes.render(old, new))
    return 0
