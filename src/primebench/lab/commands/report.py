"""`primebench report RESULTS.json [--html PATH] [--check]`: render a saved results document.

Prints the Markdown report (the article's table first) to stdout; `--html` also writes
the self-contained HTML report with charts; `--check` judges the performance targets
P1-P4 by the document's intervals (exit 0 all pass, 1 a miss, 3 inconclusive). Rendering never runs
anything: the document is the only input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from primebench.errors import UserError
from primebench.lab.model import results
from primebench.lab.pages import html_page, markdown
from primebench.lab.render import target_checks

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register `report`; `func(args) -> int` renders."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="render a results document as Markdown (and HTML)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("results", type=Path, metavar="RESULTS.json")
    p.add_argument("--html", type=Path, metavar="PATH", help="also write the HTML report here")
    p.add_argument(
        "--check", action="store_true", help="judge the targets P1-P4 by their intervals"
    )
    p.set_defaults(func=lambda args: run(args.results, html=args.html, check=args.check))


def run(path: Path, *, html: Path | None = None, check: bool = False) -> int:
    """Load, render, optionally write HTML and check targets; the exit status."""
    document = results.load(path)
    print(markdown.render(document))
    if html is not None:
        try:
            html.parent.mkdir(parents=True, exist_ok=True)
            html.write_text(html_page.render(document), encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write {html}: {exc.strerror or exc}") from exc
        print(f"html: {html}", file=sys.stderr)
    if check:
        judged, status = target_checks.check(document)
        for result in judged:
            print(target_checks.line(result), file=sys.stderr)
        return status
    return 0
