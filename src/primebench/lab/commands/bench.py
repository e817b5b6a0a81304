"""`primebench bench`: run scenarios over contenders, save one results document, print the table.

    primebench bench                                   # the article's experiment
    primebench bench --scenario floor --contenders go-seed,primebench --rounds 5 --calibrate
    primebench bench --scenario floor --contenders go-seed,primebench --connections 16,256
    primebench bench --scenario cores --contenders node-seed,rust-axum,python-jit
    primebench bench --scenario floor --contenders go-seed --target pod=http://127.0.0.1:8080
    primebench bench --scenario soak --contenders primebench --duration 1800   # 30 min soak

Every point is measured in interleaved rounds (each measures every contender once, in a
fresh random order), compared with a baseline by per-round ratios and a 95 % bootstrap
interval, beside an A/A arm whose interval is the noise floor (docs/LAB.md).

Writes `results/<UTC timestamp>-<scenarios>.json` and, beside it, a folder of the same
name with every tool's raw output and logs. Progress goes to stderr, the tables to
stdout. Exit status: 2 when nothing could be measured; with --check, 0 when every target
passes, 1 on a miss, 3 when one is inconclusive.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from primebench.errors import UserError
from primebench.lab import scenarios
from primebench.lab.commands.bench_flags import (
    DEFAULT_CONTENDERS,
    add_rounds_flags,
    default_contenders,
    names_list,
    parse_cpus,
    parse_heavy_n,
    scenario_settings,
)
from primebench.lab.contenders.registry import (
    CONTENDERS_DIR_HELP,
    Registry,
    default_root,
    search_dirs,
)
from primebench.lab.host import processes, resources
from primebench.lab.model.results import Document
from primebench.lab.pages import html_page, markdown, terminal
from primebench.lab.render import target_checks
from primebench.lab.run import live
from primebench.lab.run.loadgen import Generator
from primebench.lab.run.remote import RemoteServer, parse_target
from primebench.lab.run.session import BenchSettings, NothingMeasured, missing_generators, run_bench

__all__ = ["add_parser", "parse_cpus", "parse_heavy_n", "scenario_settings"]


def add_parser(subparsers: Any) -> None:
    """Register `bench`; `func(args) -> int` runs it."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "bench",
        help="run the lab's scenarios over the contenders",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    names = ", ".join(scenarios.NAMES)
    p.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help=f"scenario to run, repeatable or comma-separated ({names}); default: article",
    )
    p.add_argument(
        "--contenders",
        default="",
        metavar="A,B|all",
        help=(
            "contenders to run (default: the article's three servers and ours, "
            f"{','.join(DEFAULT_CONTENDERS)}; all: every contender)"
        ),
    )
    p.add_argument(
        "--contenders-dir",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help=CONTENDERS_DIR_HELP,
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path(os.environ.get("PRIMEBENCH_RESULTS", "results")),
        metavar="DIR",
        help="where results go (default: results, or $PRIMEBENCH_RESULTS)",
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="plain progress lines on stderr, no live bar (the default when not a terminal)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help=(
            "judge the performance targets P1-P4 by their intervals, the floor's P3, P3b and "
            "P3-core at each connection count (exit 1 miss, 3 inconclusive)"
        ),
    )
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="also measure an already running service (http://127.0.0.1:PORT), repeatable",
    )
    r = p.add_argument_group("protocol")
    add_rounds_flags(r)
    r.add_argument(
        "--seed", type=int, metavar="S", help="seed of the rounds' random orders (default: random)"
    )
    r.add_argument(
        "--baseline",
        metavar="NAME",
        help="what every arm is compared with (default: fastest of node-seed/go-seed/rust-axum)",
    )
    r.add_argument(
        "--calibrate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=(
            "an A/A arm (a second instance of the baseline): its interval is the noise floor "
            "(default: on; --no-calibrate saves one arm's trials)"
        ),
    )
    r.add_argument(
        "--twin",
        type=names_list,
        action="extend",
        default=[],
        metavar="NAME[,NAME]",
        help=(
            "also an A/A twin of these contenders: the noise floor of every comparison "
            "against them, e.g. bare-httptools for P3-core (default: only the baseline's)"
        ),
    )
    r.add_argument(
        "--strict",
        action="store_true",
        help="measure a disturbed trial again (at most 2 times) instead of keeping it",
    )
    r.add_argument(
        "--fresh-servers",
        action="store_true",
        help="restart every server before each trial (to compare with the default warm servers)",
    )
    g = p.add_argument_group("scenario parameters (override every selected scenario's defaults)")
    g.add_argument(
        "--duration", type=float, metavar="S", help="seconds per trial (soak: the whole soak)"
    )
    g.add_argument(
        "--connections",
        metavar="N|N,N,...",
        help="connections of the closed-loop stream; floor: several, one point each "
        "(default 16,64,100,256)",
    )
    g.add_argument(
        "--warmup",
        type=float,
        metavar="S",
        help="warm-up seconds per point (0: none; soak: its first windows, left out of the slope)",
    )
    g.add_argument(
        "--generator",
        choices=[x.value for x in Generator],
        help="closed-loop tool for article/floor/sweep/cores (e.g. wrk when autocannon saturates)",
    )
    g.add_argument("--n", type=int, help="n for article, floor and rate")
    g.add_argument("--ns", metavar="N,N,...", help="sweep: the n values")
    g.add_argument("--n-range", metavar="LO,HI", help="random-n: n drawn uniformly from LO..HI")
    g.add_argument(
        "--heavy-n",
        metavar="N|NAME=N,...",
        help="convoy, soak: heavy n, for all or per contender (soak: primebench=10^8 unless named)",
    )
    g.add_argument(
        "--heavy-connections", type=int, metavar="N", help="convoy: heavy stream's connections"
    )
    g.add_argument(
        "--light-rate", type=float, metavar="R", help="convoy: light stream's offered req/s"
    )
    g.add_argument(
        "--light-max-n", type=int, metavar="N", help="convoy: light requests ask n in 1..N"
    )
    g.add_argument(
        "--rates", metavar="R,R,...", help="rate: offered req/s (default: fractions of capacity)"
    )
    g.add_argument(
        "--server-cores", metavar="N,N,...", help="cores: server core counts (default 1..all)"
    )
    g.add_argument("--window", type=float, metavar="S", help="soak: seconds per window (60)")
    g.add_argument(
        "--heavy-share", type=float, metavar="F", help="soak: share of heavy n (0.05 = 5 %%)"
    )
    g.add_argument(
        "--load-fraction",
        type=float,
        metavar="F",
        help="soak: offered rate as a fraction of the measured capacity (0.5)",
    )
    m = p.add_argument_group("machine")
    m.add_argument("--server-cpus", metavar="LIST", help="cores for the server, e.g. 0 or 0-2")
    m.add_argument("--generator-cpus", metavar="LIST", help="cores for the load generator, e.g. 3")
    m.add_argument(
        "--settle-timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="longest wait for a server to finish its backlog between runs (then it is restarted)",
    )
    m.add_argument(
        "--start-deadline",
        type=float,
        default=60.0,
        metavar="S",
        help="longest wait for a server's first correct answer",
    )
    p.set_defaults(func=_main)


def _pinning(args: argparse.Namespace) -> resources.Pinning:
    if args.server_cpus is None and args.generator_cpus is None:
        return resources.cpu_split()
    usable = frozenset(os.sched_getaffinity(0))
    server = parse_cpus(args.server_cpus, "--server-cpus") if args.server_cpus else None
    generator = parse_cpus(args.generator_cpus, "--generator-cpus") if args.generator_cpus else None
    server = server if server is not None else usable - (generator or frozenset())
    generator = generator if generator is not None else usable - server
    if not server or not generator:
        raise UserError(
            f"--server-cpus/--generator-cpus leave one side without a core (usable: {sorted(usable)})"
        )
    return resources.Pinning(server, generator, shared=bool(server & generator))


def _targets(args: argparse.Namespace, local: tuple[str, ...]) -> tuple[RemoteServer, ...]:
    found = tuple(parse_target(text) for text in args.target)
    names = [t.name for t in found]
    clash = set(names) & set(local) or {n for n in names if names.count(n) > 1}
    if clash:
        raise UserError(f"--target names must differ from each other and the contenders: {clash}")
    return found


def show(document: Document, out_json: Path) -> None:
    """The terminal's tables on stdout (rich on a terminal, Markdown when piped); the wide
    reports written beside the document, their paths on stderr."""
    if sys.stdout.isatty():
        console = Console(width=min(Console().width, terminal.WIDTH))
        for table in terminal.rich_tables(document):
            console.print(table)
        for line in terminal.summary_lines(document):
            console.print(line, markup=False, highlight=False)
    else:
        print(terminal.render_plain(document))
    report, page = out_json.with_suffix(".md"), out_json.with_suffix(".html")
    try:
        report.write_text(markdown.render(document), encoding="utf-8")
        page.write_text(html_page.render(document), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write the reports beside {out_json}: {exc}") from exc
    print(f"report: {report} (every table; HTML with charts: {page})", file=sys.stderr)
    print(f"results: {out_json}", file=sys.stderr)


def _main(args: argparse.Namespace) -> int:
    chosen = scenario_settings(args)
    registry = Registry.load(dirs=search_dirs(args.contenders_dir))
    names = tuple(n.strip() for n in args.contenders.split(",") if n.strip())
    if names == ("all",):
        names = tuple(c.name for c in registry.contenders)
    remote = _targets(args, names)
    registry.select(list(names))  # an unknown name fails here, before anything runs
    if not names and not remote:
        names = default_contenders(registry)
    arms = (*names, *(t.name for t in remote))
    if args.baseline and args.baseline not in arms:
        raise UserError(f"--baseline {args.baseline} is not among the arms measured: {arms}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_json = args.out / f"{stamp}-{'+'.join(s.name for s in chosen)}.json"
    shown = live.Live(quiet=args.quiet)
    settings = BenchSettings(
        registry=registry,
        tools_root=default_root(),
        contenders=names,
        scenarios=chosen,
        pinning=_pinning(args),
        out_json=out_json,
        command=("primebench", *sys.argv[1:]),
        targets=remote,
        seed=args.seed if args.seed is not None else secrets.randbelow(2**31),
        baseline=args.baseline,
        calibrate=args.calibrate,
        twins=tuple(dict.fromkeys(args.twin)),
        strict=args.strict,
        fresh_servers=args.fresh_servers,
        start_deadline_s=args.start_deadline,
        settle_timeout_s=args.settle_timeout,
        progress=shown,
        live=shown,
    )
    if missing := missing_generators(settings):
        raise UserError(
            f"nothing can be measured: {', '.join(missing)} not installed (run ./scripts/setup)"
        )
    with processes.interrupt_on_sigterm(), shown:
        try:
            document = run_bench(settings)
        except KeyboardInterrupt:
            kept = f"partial results in {out_json}" if out_json.exists() else "nothing measured"
            print(f"primebench: interrupted; {kept}", file=sys.stderr)
            raise
        except NothingMeasured as exc:
            print(f"primebench: nothing could be measured: {exc}", file=sys.stderr)
            print(f"no results document written (logs: {settings.raw_dir})", file=sys.stderr)
            return 2
    show(document, out_json)
    if args.check:
        judged, status = target_checks.check(document)
        for result in judged:
            print(target_checks.line(result), file=sys.stderr)
        return status
    return 0
