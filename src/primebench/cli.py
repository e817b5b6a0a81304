"""The `primebench` command: one subcommand per action, each a plain function (asv style)."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

from primebench import __version__
from primebench.errors import UserError

__all__ = ["main"]

# The top-level packages the lab's extra installs (`primebench[lab]`): a lab command whose
# import stops at one of them names the extra instead of printing a traceback.
LAB_EXTRA_MODULES = frozenset({"psutil", "scipy", "pydantic", "pydantic_core", "numpy", "rich"})
LAB_EXTRA_HINT = "the lab is not installed: install primebench[lab] (pip install 'primebench[lab]')"

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
    parser.add_argument("--version", action="version", version=f"primebench {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command, module in COMMAND_MODULES.items():
        if only is None or command == only:
            try:
                importlib.import_module(module).add_parser(subparsers)
            except ModuleNotFoundError as exc:
                if exc.name is None or exc.name.partition(".")[0] not in LAB_EXTRA_MODULES:
                    raise
                _add_missing_extra(subparsers, command)
    return parser


def _add_missing_extra(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], command: str
) -> None:
    """A stand-in for a lab command whose dependencies are absent: it takes any arguments
    (they cannot be checked without the lab) and fails with one line naming the extra."""
    stub = subparsers.add_parser(command, help=f"(needs primebench[lab]) lab command {command}")
    stub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def missing(_args: argparse.Namespace) -> int:
        raise UserError(LAB_EXTRA_HINT)

    stub.set_defaults(func=missing)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    only = argv[0] if argv and argv[0] in COMMAND_MODULES else None
    if only == "serve":
        # A start imports ~250 modules, and the cyclic GC runs dozens of times among them
        # finding nothing to free: ~8 % of the imports (docs/SCALING.md, cold start). serve()
        # freezes what start-up built and turns it back on before granian starts the workers.
        gc.disable()
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
