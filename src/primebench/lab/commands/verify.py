"""`primebench verify [CONTENDER...] [--json PATH]`: the conformance table.

Starts each contender on a free loopback port, checks its answers against the
oracle, records how it treats bad input, and stops it. Exit status 1 when any
available contender failed to build, to start, or to answer a valid n correctly
(or, for the strict contract, to refuse a bad input with problem+json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from primebench.errors import UserError
from primebench.lab.contenders.conformance import BAD_INPUT_CASES, ContenderCheck, check
from primebench.lab.contenders.registry import CONTENDERS_DIR_HELP, Registry, search_dirs
from primebench.lab.host import processes
from primebench.lab.run import live

__all__ = ["SCHEMA_VERSION", "add_parser", "render_table", "run", "to_document"]

SCHEMA_VERSION = 1


def add_parser(subparsers: Any) -> None:
    """Register `verify`; `func(args) -> int` is `_main`."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "verify",
        help="start contenders and check their answers and bad-input behaviour",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("contenders", nargs="*", metavar="CONTENDER", help="default: all of them")
    parser.add_argument(
        "--contenders", dest="contender_list", default="", metavar="A,B", help="same, as a list"
    )
    parser.add_argument(
        "--contenders-dir",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help=CONTENDERS_DIR_HELP,
    )
    parser.add_argument(
        "--json", dest="json_path", type=Path, metavar="PATH", help="also write the results here"
    )
    parser.add_argument("--no-build", action="store_true", help="use what is built already")
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="plain progress lines on stderr, no live bar (the default when not a terminal)",
    )
    parser.add_argument(
        "--logs", type=Path, metavar="DIR", help="keep build and server logs in DIR"
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    names = [*args.contenders, *(n.strip() for n in args.contender_list.split(",") if n.strip())]
    return run(
        names,
        json_path=args.json_path,
        build_first=not args.no_build,
        log_dir=args.logs,
        dirs=search_dirs(args.contenders_dir),
        quiet=args.quiet,
    )


def run(
    names: Sequence[str],
    *,
    json_path: Path | None = None,
    build_first: bool = True,
    log_dir: Path | None = None,
    root: Path | None = None,
    dirs: Sequence[Path] = (),
    quiet: bool = False,
) -> int:
    """Check the named contenders (all when empty), print the table, return the exit code."""
    registry = Registry.load(root, dirs)
    selected = registry.select(names)
    if not selected:
        raise UserError(f"no contenders found under {registry.root / 'contenders'}")
    checks: list[ContenderCheck] = []
    with processes.interrupt_on_sigterm(), live.Live(quiet=quiet) as shown:
        shown.plan(len(selected))  # the bar counts contenders
        for contender in selected:
            shown.doing(f"verify: {contender.name}")
            shown(f"verify: {contender.name} ...")
            checks.append(check(contender, build_first=build_first, log_dir=log_dir))
            shown.advance(1, f"verify: {contender.name} done")
    print(render_table(checks))
    problems = [
        f"{c.contender.name}: {p}"
        for c in checks
        for p in (
            [c.failure] if c.failure else list(c.conformance.problems if c.conformance else [])
        )
    ]
    for line in problems:
        print(f"FAIL {line}", file=sys.stderr)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(to_document(checks), indent=2) + "\n", encoding="utf-8")
    return 0 if all(c.ok for c in checks) else 1


def to_document(checks: Sequence[ContenderCheck]) -> dict[str, Any]:
    """The JSON form: versions, artifact sizes, start-up, every answer and bad-input cell."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "primebench-verify",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "ok": all(c.ok for c in checks),
        "contenders": [c.to_json() for c in checks],
    }


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _row(c: ContenderCheck) -> list[str]:
    name = c.contender.name
    if not c.availability.available:
        return [name, f"unavailable: {c.availability.reason}", "", "", "", ""] + [""] * len(
            BAD_INPUT_CASES
        )
    if c.failure or c.conformance is None:
        return [name, "FAILED", c.version, "", "", ""] + [""] * len(BAD_INPUT_CASES)
    conf = c.conformance
    bad_answers = sum(not a.ok for a in conf.answers)
    answers = "ok" if not bad_answers else f"{bad_answers} WRONG"
    if conf.contract.value == "strict":
        answers += ", strict ok" if conf.ok else ", strict FAIL"
    ms = conf.answer_ms("20000")
    cells = [b.cell() for b in conf.bad_inputs]
    if not conf.healthy_after:
        cells[-1] += " (stuck)"
    return [
        name,
        "yes",
        c.version,
        answers,
        "" if ms is None else f"{ms:.1f}",
        "" if c.startup_s is None else f"{c.startup_s:.2f}",
        *cells,
    ]


def render_table(checks: Sequence[ContenderCheck]) -> str:
    """A Markdown table, one row per contender; failures explained under it."""
    header = ["contender", "available", "version", "answers", "n=20000 ms", "start s"]
    header += [f"`{label}`" for label, _ in BAD_INPUT_CASES]
    rows = [header, ["---"] * len(header)] + [_row(c) for c in checks]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) + " |"
        for r in rows
    ]
    lines[1] = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    notes = [f"- {c.contender.name}: {c.failure}" for c in checks if c.failure]
    sized = [c for c in checks if c.artifact is not None]
    if sized:
        notes.append(
            "- artifact sizes: "
            + "; ".join(
                f"{c.contender.name} {_mb(c.artifact.bytes)} ({c.artifact.label})"
                for c in sized
                if c.artifact
            )
        )
    return "\n".join(lines + ([""] + notes if notes else []))
