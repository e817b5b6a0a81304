"""`primebench verify`: start contenders and check their answers (placeholder, being written)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register `verify [CONTENDER...] [--json PATH]`."""
    parser: argparse.ArgumentParser = subparsers.add_parser("verify", help="check contenders' answers")
    parser.add_argument("contenders", nargs="*", metavar="CONTENDER")
    parser.add_argument("--json", dest="json_path", default=None, metavar="PATH")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    raise NotImplementedError("verify is being written")
