"""Targets P5 and P6 of our own service, measured in interleaved rounds and judged by intervals.

P5: `/prime?n~10^12`, one request at a time, against primecount alone (the same library
call in its own process), both pinned to the same single core. Each round takes a fresh n
just below 10^12 (an answer cache must not turn the request into a lookup) and runs its
arms in a seeded random order, so drift on a shared machine hits both alike; the verdict
rests on the interval of the paired per-round ratio (`verdicts.compare`). With
`calibrate`, each round also runs primecount alone a second time: that A/A arm measures
the noise floor. Per round, the CPU steal and other processes' CPU on the core are
recorded (`disturbance`).

P6: start to the first correct answer on every cold start, judged on the worst, of the
service as a deployment installs it (`P6Install.WHEEL`: the wheel built from the checkout,
no extras, byte-compiled, in a fresh venv; contenders/service_install.py), with an
empty table cache (a fresh directory each start, as on a new pod: the default table is
mapped from the one the package ships, so nothing is sieved or cached unless that file is
missing) and with a warm one; and the largest RSS of any server process after the huge-n
load.

The document is plain versioned JSON with every raw measurement; `judge` recomputes the
verdicts from it alone (deterministic in the recorded seed).
"""

from __future__ import annotations

import dataclasses
import json
import random
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import psutil

from primebench.errors import UserError
from primebench.lab.contenders import launch, service_install
from primebench.lab.contenders.registry import Contender
from primebench.lab.host import disturbance, loopback, machine, servers, tool_runs
from primebench.lab.model import codec, targets
from primebench.lab.model.targets import TARGETS, TargetResult, TargetVerdict
from primebench.lab.model.verdicts import Comparison, compare, noise_halfwidth
from primebench.lab.run.live import Live

__all__ = [
    "BASELINE",
    "KIND",
    "PROBE_SCHEMA_VERSION",
    "P6Install",
    "ProbeSettings",
    "judge",
    "load",
    "p5_comparisons",
    "run_probe",
]

PROBE_SCHEMA_VERSION = 2
KIND = "primebench-probe"
BASELINE = "primecount-alone"
MIB = 2**20
REQUEST_TIMEOUT_S = 120.0
#: The table cache lives under $XDG_CACHE_HOME/primebench (primes.table.default_cache_dir).
CACHE_ENV = "XDG_CACHE_HOME"


class P6Install(StrEnum):
    """Which installation P6's cold starts run."""

    WHEEL = "wheel"  # the service install a deployment gets (pip, the image)
    RUNNING = "running"  # the environment the lab runs in (development: all groups, no bytecode)


@dataclass(frozen=True)
class ProbeSettings:
    contender: Contender
    cpu: int  # the one core the server and primecount alone are pinned to
    seed: int
    huge_n: int = 10**12
    rounds: int = 10
    starts: int = 5
    calibrate: bool = False
    p6_install: P6Install = P6Install.WHEEL
    n_spread: int = 10**6  # each round's n is drawn from (huge_n - n_spread, huge_n]
    live: Live | None = None  # progress: one step per cold start and per round

    def step(self, line: str) -> None:
        """One finished step: its line, and the bar one step on."""
        if self.live is not None:
            self.live(line)
            self.live.advance(1, line.strip())

    @property
    def cpus(self) -> frozenset[int]:
        return frozenset({self.cpu})


def _with_cache(c: Contender, cache_home: Path) -> Contender:
    return dataclasses.replace(c, env={**c.env, CACHE_ENV: str(cache_home)})


def _p6_contender(settings: ProbeSettings, root: Path) -> tuple[Contender | str, dict[str, Any]]:
    """(the contender P6 starts, or why there is none; the install record for the document)."""
    if settings.p6_install is P6Install.RUNNING:
        return settings.contender, {"kind": "running", "python": sys.executable}
    try:
        built = service_install.install(settings.contender.root, root / "service-install")
        return service_install.run_from(settings.contender, built), built.to_json()
    except service_install.InstallFailed as exc:
        why = f"the service install could not be built: {exc}"
        return why, {"kind": "wheel", "failure": why}


def _cold_start(
    c: Contender | str, settings: ProbeSettings, cache_home: Path, log: Path
) -> tuple[float | None, str]:
    """(seconds from spawn to the first correct answer, "") or (None, the failure)."""
    if isinstance(c, str):
        return None, c
    try:
        with launch.start(_with_cache(c, cache_home), cpus=settings.cpus, log=log) as running:
            return running.startup_s, ""
    except (servers.ServerFailed, OSError) as exc:
        return None, f"did not start: {exc}"


def _startups(
    c: Contender | str, settings: ProbeSettings, root: Path, log: Path
) -> list[dict[str, Any]]:
    """Empty- and warm-cache cold starts of `c`, interleaved in a seeded order."""
    rng = random.Random(f"{settings.seed}-starts")
    warm = root / "warm"
    _, failure = _cold_start(c, settings, warm, log)  # fills the warm cache; not measured
    starts: list[dict[str, Any]] = []
    if failure:
        starts.append(_start_record(-1, "warm", None, f"filling the cache: {failure}", warm))
    for index in range(settings.starts):
        for cache in rng.sample(["empty", "warm"], 2):
            home = Path(tempfile.mkdtemp(dir=root, prefix="empty-")) if cache == "empty" else warm
            seconds, failure = _cold_start(c, settings, home, log)
            starts.append(_start_record(index, cache, seconds, failure, home))
            took = f"{seconds:.2f} s" if seconds is not None else f"FAILED {failure}"
            settings.step(f"probe: cold start {index + 1}/{settings.starts}, {cache} cache: {took}")
    return starts


def _start_record(
    index: int, cache: str, seconds: float | None, failure: str, home: Path
) -> dict[str, Any]:
    """One cold start; the cache's files afterwards show whether the table was built there
    (none when it was mapped from the package)."""
    return {
        "index": index,
        "cache": cache,
        "startup_s": seconds,
        "failure": failure,
        "table_cache_files_after": sorted(p.name for p in (home / "primebench").glob("*")),
    }


def _round_ns(settings: ProbeSettings) -> list[int]:
    """The warm-up n, then one distinct n per round, all in (huge_n - n_spread, huge_n]."""
    low = settings.huge_n - settings.n_spread + 1
    return random.Random(f"{settings.seed}-n").sample(
        range(low, settings.huge_n + 1), settings.rounds + 1
    )


def _alone(n: int, warmup: int, cpus: frozenset[int]) -> tuple[float, int, float]:
    """(seconds, prime, cpu seconds) of primecount alone on `cpus` for `n`."""
    argv = [
        sys.executable,
        "-m",
        "primebench.lab.run.primecount_alone",
        "--warmup",
        str(warmup),
        str(n),
    ]
    run = tool_runs.run_tool(argv, cpus=cpus, timeout_s=REQUEST_TIMEOUT_S)
    if not run.ok:
        raise RuntimeError(f"primecount alone failed ({run.returncode}): {run.stderr[-300:]}")
    answer = json.loads(run.stdout)
    return float(answer["seconds"][0]), int(answer["prime"][0]), run.cpu_s


def _served(running: servers.RunningServer, n: int) -> tuple[float, int]:
    answer = loopback.get(running.host, running.port, f"/prime?n={n}", timeout_s=REQUEST_TIMEOUT_S)
    body = answer.json() if answer.status == 200 else None
    if not isinstance(body, dict) or body.get("n") != n or not isinstance(body.get("prime"), int):
        raise RuntimeError(f"/prime?n={n} answered {answer.status}: {answer.body[:200]!r}")
    return answer.elapsed_s, int(body["prime"])


def _tree_cpu_s(running: servers.RunningServer) -> float:
    total = 0.0
    for p in running.tree():
        try:
            times = p.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _largest_rss(running: servers.RunningServer) -> int:
    largest = 0
    for p in running.tree():
        try:
            largest = max(largest, p.memory_info().rss)
        except psutil.Error:
            continue  # exited between listing and reading
    return largest


def _round(
    running: servers.RunningServer, settings: ProbeSettings, n: int, warmup: int, order: list[str]
) -> dict[str, Any]:
    """One round: every arm once for this n, in `order`, with the disturbance on the core."""
    record: dict[str, Any] = {"n": n, "order": order}
    primes: dict[str, int] = {}
    own_s = 0.0
    server_before = _tree_cpu_s(running)
    before = disturbance.sample()
    for arm in order:
        if arm == "served":
            record["served_s"], primes[arm] = _served(running, n)
        else:
            seconds, primes[arm], cpu_s = _alone(n, warmup, settings.cpus)
            record[f"{arm.replace('-', '_')}_s"] = seconds
            own_s += cpu_s
    after = disturbance.sample()
    own_s += _tree_cpu_s(running) - server_before
    # The lab's own client is not pinned: when it runs on this core it counts as others'.
    seen = disturbance.between(before, after, settings.cpus, own_s)
    record["disturbance"] = codec.dump(seen)
    record["disturbed"] = seen.disturbed()
    if len(set(primes.values())) != 1:
        raise RuntimeError(f"answers for n={n} differ between arms: {primes}")
    record["prime"] = primes["alone"]
    return record


def _huge_n(settings: ProbeSettings, home: Path, log: Path) -> dict[str, Any]:
    ns = _round_ns(settings)
    warmup, rounds_n = ns[0], ns[1:]
    rng = random.Random(f"{settings.seed}-order")
    arms = ["served", "alone"] + (["alone-aa"] if settings.calibrate else [])
    rounds: list[dict[str, Any]] = []
    failure, largest_rss = "", 0
    try:
        with launch.start(
            _with_cache(settings.contender, home), cpus=settings.cpus, log=log
        ) as running:
            # Unmeasured: the pool's processes start in the background after start-up,
            # and P5 is about steady-state cost, not the first request after boot.
            _served(running, warmup)
            for index, n in enumerate(rounds_n):
                order = rng.sample(arms, len(arms))
                rounds.append({"index": index, **_round(running, settings, n, warmup, order)})
                settings.step(f"probe: P5 round {index + 1}/{len(rounds_n)}, n={n}")
                largest_rss = max(largest_rss, _largest_rss(running))
    except (servers.ServerFailed, loopback.RequestFailed, RuntimeError, OSError, ValueError) as exc:
        failure = f"after {len(rounds)} rounds: {exc}"
    return {
        "rounds": rounds,
        "failure": failure,
        "largest_process_rss_bytes": largest_rss or None,
    }


def run_probe(settings: ProbeSettings, out: Path) -> dict[str, Any]:
    """Measure P6's cold starts, then P5's rounds; write and return the document."""
    log = out.with_suffix(".server.log")
    with tempfile.TemporaryDirectory(prefix="primebench-probe-") as tmp:
        root = Path(tmp)
        started, install = _p6_contender(settings, root)
        starts = _startups(started, settings, root, log)
        huge = _huge_n(settings, root / "warm", log)
    document: dict[str, Any] = {
        "kind": KIND,
        "schema_version": PROBE_SCHEMA_VERSION,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": codec.dump(machine.describe()),
        "contender": settings.contender.name,
        "cpu": settings.cpu,
        "seed": settings.seed,
        "huge_n": settings.huge_n,
        "n_spread": settings.n_spread,
        "calibrate": settings.calibrate,
        "p5": huge,
        "p6": {"install": install, "starts": starts},
    }
    p5, aa = p5_comparisons(document)
    document["comparisons"] = [c.to_json() for c in (p5, aa) if c is not None]
    document["targets"] = [r.to_json() for r in judge(document)]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    return document


def load(path: Path) -> dict[str, Any]:
    """A probe document; UserError for an unreadable file or an unknown kind or version."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read probe document {path}: {exc}") from exc
    _check_version(document)
    return dict(document)


def _check_version(document: Mapping[str, Any]) -> None:
    if document.get("kind") != KIND or document.get("schema_version") != PROBE_SCHEMA_VERSION:
        raise UserError(
            f"not a probe document of schema_version {PROBE_SCHEMA_VERSION}: "
            f"kind {document.get('kind')!r}, schema_version {document.get('schema_version')!r}"
        )


def p5_comparisons(document: Mapping[str, Any]) -> tuple[Comparison | None, Comparison | None]:
    """(served vs primecount alone, primecount alone A/A) from the document's rounds (pure)."""
    rounds = document["p5"]["rounds"]
    if not rounds:
        return None, None
    seed = int(document["seed"])
    aa = None
    if document["calibrate"]:
        aa = compare(
            "latency_s", f"{BASELINE}-aa", BASELINE,
            [r["alone_aa_s"] for r in rounds], [r["alone_s"] for r in rounds],
            higher_is_better=False, noise_halfwidth=None, seed=seed,
        )  # fmt: skip
    noise = None if aa is None or aa.ci_low is None else noise_halfwidth(aa)
    p5 = compare(
        "latency_s", str(document["contender"]), BASELINE,
        [r["served_s"] for r in rounds], [r["alone_s"] for r in rounds],
        higher_is_better=False, noise_halfwidth=noise, seed=seed,
    )  # fmt: skip
    return p5, aa


def _worst_start(starts: Sequence[Mapping[str, Any]], cache: str) -> TargetResult:
    target = TARGETS["P6" if cache == "empty" else "P6-warm"]
    chosen = [s for s in starts if s["cache"] == cache]
    label = f"{cache} table cache"
    if not chosen:
        return TargetResult(target, None, None, None, None, f"{label}: no cold start measured")
    failed = [s for s in chosen if s["failure"]]
    if failed:
        why = f"{label}: {len(failed)} of {len(chosen)} cold starts failed: {failed[0]['failure']}"
        return TargetResult(target, None, None, None, TargetVerdict.MISS, why[:500])
    times = [float(s["startup_s"]) for s in chosen]
    reason = f"{label}: worst of {len(times)} cold starts (best {min(times):.3f} s)"
    return targets.judge_value(target, max(times), reason)


def judge(document: Mapping[str, Any]) -> list[TargetResult]:
    """P5, P6 (empty and warm cache) and P6-rss from a probe document's raw measurements."""
    _check_version(document)
    p5, _ = p5_comparisons(document)
    failure = document["p5"]["failure"]
    missing = failure or "no round completed"
    p5_result = targets.judge_comparison(TARGETS["P5"], p5, missing)
    if failure and p5 is not None:
        p5_result = dataclasses.replace(
            p5_result, reason="; ".join(filter(None, [p5_result.reason, failure]))
        )
    starts = document["p6"]["starts"]
    rss = document["p5"]["largest_process_rss_bytes"]
    rss_result = targets.judge_value(
        TARGETS["P6-rss"],
        None if rss is None else rss / MIB,
        "largest of every server process, sampled after each round"
        if rss is not None
        else f"not measured: {missing}",
    )
    return [p5_result, _worst_start(starts, "empty"), _worst_start(starts, "warm"), rss_result]
