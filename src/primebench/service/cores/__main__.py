"""`python -m primebench.service.cores CORE [serve flags]`: the service on another core.

The lab's variants (benchmarks/variants/primebench-granian-wsgi-*, -fastpysgi-*) start
it; it takes every flag `primebench serve` takes, and `--blocking-threads` for granian's
WSGI interface.
"""

from __future__ import annotations

import argparse
import os
import sys

from primebench.errors import UserError
from primebench.service.cores import CORES
from primebench.service.settings import SPECS, resolve

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m primebench.service.cores",
        description="Run the nth-prime service on another server core (a lab variant).",
    )
    parser.add_argument("core", choices=CORES)
    parser.add_argument(
        "--blocking-threads",
        type=int,
        default=1,
        help="granian-wsgi: threads that run the WSGI app per worker [default 1]",
    )
    for spec in SPECS:
        parser.add_argument(spec.flag, dest=spec.name, default=None, help=spec.help)
    args = parser.parse_args(argv)
    try:
        settings = resolve({spec.name: getattr(args, spec.name) for spec in SPECS}, os.environ)
        if args.core == "granian-wsgi":
            from primebench.service.cores.granian_wsgi import load_wsgi
            from primebench.service.server import serve

            if args.blocking_threads < 1:
                raise UserError("--blocking-threads must be at least 1")
            return serve(
                settings,
                interface="wsgi",
                blocking_threads=args.blocking_threads,
                loader=load_wsgi,
            )
        from primebench.service.cores import fastpysgi_core

        return fastpysgi_core.serve(settings, args.core.removeprefix("fastpysgi-"))
    except UserError as error:
        print(f"primebench: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
