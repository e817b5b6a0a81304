"""`primebench serve`: every setting as a flag, each also a PRIMEBENCH_* variable."""

from __future__ import annotations

import argparse
import os
from typing import Any

from primebench.service.settings import SPECS, Settings, resolve

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the nth-prime HTTP service",
        description="Run the nth-prime service (GET /prime?n=N). Flags override PRIMEBENCH_* variables.",
    )
    defaults = Settings()
    for spec in SPECS:
        parser.add_argument(
            spec.flag,
            dest=spec.name,
            default=None,
            metavar=spec.name.upper(),
            help=f"{spec.help}: {spec.allowed} [env {spec.env}; default {getattr(defaults, spec.name)}]",
        )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = resolve({spec.name: getattr(args, spec.name) for spec in SPECS}, os.environ)
    from primebench.service.server import serve

    return serve(settings)
