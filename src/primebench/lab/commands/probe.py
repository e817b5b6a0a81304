"""`primebench probe [--check]`: targets P5 (n~10^12 vs primecount alone) and P6 (start-up, RSS).

    primebench probe --rounds 10 --starts 5 --calibrate --check
    primebench probe --from results/<stamp>-service_targets.json --check   # re-judge a document

Runs our `primebench` contender and primecount alone pinned to one core, in interleaved
rounds, writes a versioned JSON document with every raw measurement and the verdicts,
and prints them. With --check the exit status is 0 when every target passed, 1 on a miss
(or a target that could not be measured), 3 when the rest passed but some were
inconclusive (the intervals could not tell).

P6's cold starts run the service as a deployment installs it: the wheel built from this
checkout into a fresh venv, no extras, byte-compiled (pip and the image compile at install).
`--p6-install running` starts this environment instead (the development venv: every
dependency group, and no bytecode where PYTHONDONTWRITEBYTECODE is set).
"""

from __future__ import annotations

import argparse
import os
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from primebench.errors import UserError
from primebench.lab.contenders.registry import Registry
from primebench.lab.host import processes, resources
from primebench.lab.model import targets
from primebench.lab.run import live, service_targets

__all__ = ["add_parser", "results_path"]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "probe",
        help="measure targets P5 (n=10^12 vs primecount alone) and P6 (start-up, memory)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--out",
        type=Path,
        default=None,
        help="results file, or a directory for <stamp>-probe.json in it, as bench's --out"
        " (default results/<stamp>-service_targets.json)",
    )
    add(
        "--from",
        dest="source",
        type=Path,
        default=None,
        help="judge this document, measure nothing",
    )
    add("--rounds", type=_positive, default=10, help="P5 rounds (at least 3 for an interval)")
    add("--starts", type=_positive, default=5, help="cold starts per table-cache state")
    add(
        "--p6-install",
        choices=[i.value for i in service_targets.P6Install],
        default=service_targets.P6Install.WHEEL.value,
        help="what the cold starts run: wheel, the service install a deployment gets (built "
        "from this checkout: no extras, byte-compiled); running, this environment",
    )
    add(
        "--seed",
        type=int,
        default=None,
        help="order and n of the rounds (default: random, recorded)",
    )
    add(
        "--calibrate",
        action="store_true",
        help="add an A/A arm (primecount alone twice): noise floor",
    )
    add(
        "--cpu",
        type=int,
        default=None,
        help="the core to pin to (default: the server's first core)",
    )
    add("--check", action="store_true", help="exit 1 on a miss, 3 when inconclusive")
    add(
        "--quiet",
        action="store_true",
        help="plain progress lines on stderr, no live bar (the default when not a terminal)",
    )
    parser.set_defaults(func=_main)


def results_path(out: Path | None, stamp: str) -> Path:
    """Where the document goes: `--out` as given, in it when it is a directory (as bench's
    `--out`: a 30 s run must not end in IsADirectoryError at the write), else the default."""
    if out is None:
        return Path("results") / f"{stamp}-service_targets.json"
    return out / f"{stamp}-probe.json" if out.is_dir() else out


def _measure(args: argparse.Namespace) -> tuple[dict[str, Any], Path]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = results_path(args.out, stamp)
    cpu = min(resources.cpu_split().server) if args.cpu is None else args.cpu
    if cpu not in os.sched_getaffinity(0):
        raise UserError(f"--cpu {cpu} is not a core this process may use")
    settings = service_targets.ProbeSettings(
        Registry.load().get("primebench"),
        cpu,
        seed=random.SystemRandom().randrange(2**32) if args.seed is None else args.seed,
        rounds=args.rounds,
        starts=args.starts,
        calibrate=args.calibrate,
        p6_install=service_targets.P6Install(args.p6_install),
    )
    print(f"probe: primebench and primecount alone on core {cpu}, seed {settings.seed}")
    with processes.interrupt_on_sigterm(), live.Live(quiet=args.quiet) as shown:
        shown.plan(2 * settings.starts + settings.rounds)  # the bar counts starts and rounds
        shown.doing("probe: cold starts")
        settings = replace(settings, live=shown)
        return service_targets.run_probe(settings, out), out


def _main(args: argparse.Namespace) -> int:
    if args.source is not None:
        document, where = service_targets.load(args.source), args.source
    else:
        document, where = _measure(args)
    results = service_targets.judge(document)
    for result in results:
        print(result.line())
    print(f"document: {where}")
    return targets.exit_status(results) if args.check else 0
