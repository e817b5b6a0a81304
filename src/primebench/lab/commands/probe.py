"""`primebench probe [--check]`: targets P5 (huge n vs primecount alone) and P6 (start-up, RSS) of our service.

Runs our `primebench` contender pinned to the server's default cores, writes a versioned
JSON document, prints the verdicts; with --check, exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from primebench.lab import probe, procs
from primebench.lab.contenders import Registry

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "probe",
        help="measure targets P5 (n=10^12 vs primecount alone) and P6 (start-up, memory) of our service",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=None, help="results file (default results/<stamp>-probe.json)")
    parser.add_argument("--requests", type=int, default=7, help="huge-n requests (each beside a primecount-alone run)")
    parser.add_argument("--starts", type=int, default=5, help="cold starts timed")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or Path("results") / f"{stamp}-probe.json"
    pinning = procs.cpu_split()
    settings = probe.ProbeSettings(
        Registry.load().get("primebench"), pinning.server, requests=args.requests, starts=args.starts
    )
    with procs.interrupt_on_sigterm():
        document = probe.run_probe(settings, out)
    print(f"probe: primebench on cores {sorted(pinning.server)}; document {out}")
    print(json.dumps({k: document[k] for k in ("served_s", "alone_s", "startup_s")}))
    verdicts = probe.judge(document)
    for target, passed, line in verdicts:
        print(f"{target} {'pass' if passed else 'miss':<5} {line}")
    return 1 if args.check and not all(passed for _, passed, _ in verdicts) else 0
