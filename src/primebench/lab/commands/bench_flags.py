"""`primebench bench`'s flag values: parsed and checked at the edge, named in every error.

Apart from `bench.py` (argument set-up and the command) so each stays one concept: these
are pure functions of a flag's text, tested on their own, and the rounds flags (what
decides when an arm's rounds end) with the settings they set.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from primebench.errors import UserError
from primebench.lab import scenarios
from primebench.lab.contenders.registry import Registry
from primebench.lab.model.generators import Generator
from primebench.lab.run import stopping
from primebench.lab.scenarios import ScenarioSettings

__all__ = [
    "DEFAULT_CONTENDERS",
    "add_rounds_flags",
    "default_contenders",
    "names_list",
    "parse_budget",
    "parse_cpus",
    "parse_heavy_n",
    "parse_ints",
    "parse_n_range",
    "parse_rates",
    "parse_rounds",
    "rounds_overrides",
    "scenario_settings",
]


def parse_ints(text: str, flag: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UserError(f"{flag} takes integers separated by commas, got {text!r}") from None
    if not values or min(values) < 1:
        raise UserError(f"{flag} takes integers >= 1, got {text!r}")
    return values


def names_list(text: str) -> list[str]:
    """`a,b` -> ["a", "b"]: a comma-separated list of arm names (blanks dropped)."""
    return [n.strip() for n in text.split(",") if n.strip()]


def parse_cpus(text: str, flag: str) -> frozenset[int]:
    """`0`, `0,2` or `0-2` to a set of core numbers usable by this process."""
    cpus: set[int] = set()
    try:
        for part in text.split(","):
            lo, _, hi = part.strip().partition("-")
            cpus.update(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise UserError(f"{flag} takes core numbers like 0, 0,2 or 0-2, got {text!r}") from None
    usable = os.sched_getaffinity(0)
    if not cpus or not cpus <= usable:
        raise UserError(f"{flag} {text!r}: usable cores are {sorted(usable)}")
    return frozenset(cpus)


#: The main job's arms: the article's three servers and our service (with the A/A twin of
#: the baseline, about 4-5 min on 2 cores). `--contenders all` adds the nine others.
DEFAULT_CONTENDERS = ("node-seed", "go-seed", "rust-axum", "primebench")


def default_contenders(registry: Registry) -> tuple[str, ...]:
    """The main job's contenders found in `registry`; every contender when none is there
    (a `--contenders-dir` of one's own stacks)."""
    known = {c.name for c in registry.contenders}
    found = tuple(n for n in DEFAULT_CONTENDERS if n in known)
    return found or tuple(c.name for c in registry.contenders)


def parse_rounds(text: str) -> str | int:
    """`auto`, or a whole number of rounds >= 1."""
    if text == "auto":
        return "auto"
    try:
        rounds = int(text)
    except ValueError:
        raise UserError(f"--rounds takes auto or a number, got {text!r}") from None
    if rounds < 1:
        raise UserError(f"--rounds must be >= 1 (or auto), got {rounds}")
    return rounds


def parse_heavy_n(text: str) -> tuple[int | None, Mapping[str, int]]:
    """`20000` (everyone) and/or `primebench=1000000000000` entries, comma-separated."""
    default: int | None = None
    per: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, eq, value = part.rpartition("=")
        try:
            n = int(value)
        except ValueError:
            raise UserError(f"--heavy-n takes N or NAME=N, got {part!r}") from None
        if n < 1:
            raise UserError(f"--heavy-n must be >= 1, got {n}")
        if eq:
            per[name] = n
        else:
            default = n
    return default, per


def parse_n_range(text: str) -> tuple[int, int]:
    """`--n-range LO,HI`."""
    lo_hi = parse_ints(text, "--n-range")
    if len(lo_hi) != 2 or lo_hi[0] > lo_hi[1]:
        raise UserError(f"--n-range takes LO,HI with LO <= HI, got {text!r}")
    return lo_hi[0], lo_hi[1]


def parse_rates(text: str) -> tuple[float, ...]:
    """`--rates R1,R2,...`, each > 0 req/s."""
    try:
        rates = tuple(float(r) for r in text.split(","))
    except ValueError:
        raise UserError(f"--rates takes numbers separated by commas, got {text!r}") from None
    if min(rates) <= 0:
        raise UserError("--rates must all be > 0")
    return rates


def parse_budget(text: str) -> float | None:
    """`none` (no budget), or seconds > 0 (`270`, `270s`, `4.5m`)."""
    if text.strip().lower() == "none":
        return None
    scale = 60.0 if text.endswith("m") else 1.0
    try:
        seconds = float(text.removesuffix("m").removesuffix("s")) * scale
    except ValueError:
        raise UserError(f"--budget takes seconds (270, 4.5m) or none, got {text!r}") from None
    if not seconds > 0:
        raise UserError(f"--budget must be > 0 s (or none), got {text!r}")
    return seconds


def add_rounds_flags(group: argparse._ArgumentGroup) -> None:
    """`--rounds`, `--max-rounds`, `--precision`, `--budget`: when an arm's rounds end."""
    group.add_argument(
        "--rounds",
        type=parse_rounds,
        default="auto",
        metavar="auto|R",
        help=(
            "interleaved rounds per point: auto (default) runs each arm 3 to --max-rounds "
            "rounds and stops it once its interval is within --precision (or the A/A floor); "
            "R: exactly R"
        ),
    )
    group.add_argument(
        "--max-rounds",
        type=int,
        default=None,
        metavar="M",
        help=(
            f"--rounds auto: the most rounds an arm gets (default {stopping.DEFAULT_MAXIMUM}; "
            "the floor 30, of 1 s trials; at least 3)"
        ),
    )
    group.add_argument(
        "--precision",
        type=float,
        default=0.03,
        metavar="F",
        help="--rounds auto: the half-width an arm's interval must reach (default 0.03: 3 %%)",
    )
    group.add_argument(
        "--budget",
        type=parse_budget,
        default=argparse.SUPPRESS,
        metavar="S|none",
        help=(
            "--rounds auto: seconds a scenario's rounds may take; past the 3rd, no round "
            "starts that would not fit, and the arms stop with their interval as it stands "
            "(default: article 240 s, so the main job fits 5 min; others none)"
        ),
    )


def rounds_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The scenario settings the rounds flags set (a scenario keeps its own budget unless
    `--budget` is given)."""
    budget = vars(args).get("budget", ...)
    if args.rounds != "auto":
        if budget is not ...:
            raise UserError("--budget plans --rounds auto; a fixed --rounds R runs R rounds")
        return {"rounds": args.rounds}
    overrides: dict[str, Any] = {
        **({} if args.max_rounds is None else {"rounds": args.max_rounds}),
        "auto_rounds": True,
        "min_rounds": stopping.DEFAULT_MINIMUM,
        "precision": args.precision,
    }
    if budget is not ...:
        overrides["budget_s"] = budget
    return overrides


def scenario_settings(args: argparse.Namespace) -> tuple[ScenarioSettings, ...]:
    """The selected scenarios' defaults with the command line's overrides applied."""
    raw = [s for item in (args.scenario or ["article"]) for s in item.split(",") if s.strip()]
    chosen = [scenarios.get(name) for name in raw]
    overrides: dict[str, Any] = {}
    for flag, key in (
        ("duration", "duration_s"),
        ("warmup", "warmup_s"),
        ("n", "n"),
        ("heavy_connections", "heavy_connections"),
        ("light_rate", "light_rate"),
        ("light_max_n", "light_max_n"),
        ("window", "window_s"),
        ("heavy_share", "heavy_share"),
    ):
        if getattr(args, flag) is not None:
            overrides[key] = getattr(args, flag)
    overrides |= rounds_overrides(args)
    if args.connections:
        counts = tuple(dict.fromkeys(parse_ints(args.connections, "--connections")))
        # One count is the one-point run of every scenario; several, the floor's sweep.
        sweep = counts if len(counts) > 1 else ()
        overrides |= {"connections": counts[0], "connections_sweep": sweep}
    if args.ns:
        overrides["sweep_ns"] = parse_ints(args.ns, "--ns")
    if args.n_range:
        overrides["n_range"] = parse_n_range(args.n_range)
    if args.rates:
        overrides["rates"] = parse_rates(args.rates)
    if args.server_cores:
        overrides["server_cores"] = parse_ints(args.server_cores, "--server-cores")
    if args.load_fraction is not None:
        overrides["rate_fractions"] = (args.load_fraction,)
    if args.heavy_n:
        default, per = parse_heavy_n(args.heavy_n)
        if default is not None:
            overrides["heavy_n"] = default
        overrides["heavy_n_for"] = per
    result = []
    for scenario in dict.fromkeys(chosen):
        defaults = scenario.defaults()
        given = dict(overrides)
        if given.get("auto_rounds") and not scenario.compares_arms:
            for key in ("rounds", "auto_rounds", "budget_s"):  # nothing to pair: its own rounds
                given.pop(key, None)
        elif given.get("auto_rounds") and "rounds" not in given:  # no --max-rounds: its own
            given["rounds"] = scenario.max_rounds or stopping.DEFAULT_MAXIMUM
        if "heavy_n_for" in given:  # a contender not named keeps the scenario's own heavy n
            given["heavy_n_for"] = {**(defaults.heavy_n_for or {}), **given["heavy_n_for"]}
        if given.get("connections_sweep") and not scenario.sweeps_connections:
            sweeping = [s.name for s in chosen if s.sweeps_connections]
            raise UserError(
                f"--connections takes one number for scenario {scenario.name} (only "
                f"{', '.join(sweeping) or 'floor'} sweeps several), got {args.connections!r}"
            )
        settings = replace(defaults, **given)
        if args.generator and scenario.generator_choosable:
            settings = replace(settings, generator=Generator(args.generator))
        scenario.check(settings)
        result.append(settings)
    return tuple(result)
