"""The `primebench` command: one subcommand per action, each a plain function (asv style)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from primebench.errors import UserError

__all__ = ["main"]

# Each module exposes `add_parser(subparsers)`, which sets `func(args) -> int`.
COMMAND_MODULES = {
    "serve": "primebench.service.command",
    "verify": "primebench.lab.commands.verify",
    "bench": "primebench.lab.commands.bench",
    "report": "primebench.lab.commands.report",
    "compare": "primebench.lab.commands.compare",
    "probe": "primebench.lab.commands.probe",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """All subcommands, or just `only`: `serve` must not pay for importing the lab at start-up."""
    parser = argparse.ArgumentParser(
        prog="primebench",
        description=(
            "The N-th prime as a service, and a lab that benchmarks it against Node, Go and Rust."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command, module in COMMAND_MODULES.items():
        if only is None or command == only:
            importlib.import_module(module).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    only = argv[0] if argv and argv[0] in COMMAND_MODULES else None
    args = build_parser(only).parse_args(argv)
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
