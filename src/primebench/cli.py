"""The `primebench` command: one subcommand per action, each a plain function (asv style)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from primebench.errors import UserError

__all__ = ["main"]

# Each module exposes `add_parser(subparsers)`, which sets `func(args) -> int`.
COMMAND_MODULES = (
    "primebench.service.command",
    "primebench.lab.commands.verify",
    "primebench.lab.commands.bench",
    "primebench.lab.commands.report",
    "primebench.lab.commands.compare",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="primebench",
        description="The N-th prime as a service, and a lab that benchmarks it against Node, Go and Rust.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"primebench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("primebench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
