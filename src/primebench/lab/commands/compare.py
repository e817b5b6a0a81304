"""The `primebench compare` subcommand (placeholder while the lab is written)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register `compare`; `func(args) -> int` is what cli.main calls."""
    parser: argparse.ArgumentParser = subparsers.add_parser("compare", help="(being written)")
    parser.set_defaults(func=lambda args: 2)
