"""Targets P5 and P6 of our own service, measured side by side in one run.

P5: `/prime?n≈10^12`, one request at a time, against primecount alone (the same library
call in its own process on the same cores), interleaved request by request so drift on a
shared machine hits both alike. P6: start-up to the first correct answer (repeated
cold starts) and the largest RSS of any process of the server after the huge-n load.
The document is plain versioned JSON like the bench's; `--check` judges it.
"""

from __future__ import annotations

import json
import statistics
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from primebench.lab import http, machine, oracle, procs, verify
from primebench.lab.contenders import Contender

__all__ = ["PROBE_SCHEMA_VERSION", "ProbeSettings", "judge", "run_probe"]

PROBE_SCHEMA_VERSION = 1
P5_MAX_RATIO = 1.2
P6_MAX_STARTUP_S = 0.5
P6_MAX_RSS_BYTES = 80 * 2**20


@dataclass(frozen=True)
class ProbeSettings:
    contender: Contender
    cpus: frozenset[int] | None
    huge_n: int = 10**12
    requests: int = 7
    starts: int = 5


def _start(settings: ProbeSettings, log: Path) -> AbstractContextManager[procs.RunningServer]:
    return verify.start(settings.contender, cpus=settings.cpus, log=log)


def _startups(settings: ProbeSettings, log: Path) -> list[float]:
    seconds = []
    for _ in range(settings.starts):
        with _start(settings, log) as running:
            seconds.append(running.startup_s)
    return seconds


def _primecount_alone(n: int, cpus: frozenset[int] | None) -> float:
    run = procs.run_tool(
        [sys.executable, "-m", "primebench.lab.primecount_alone", str(n)], cpus=cpus, timeout_s=600
    )
    if not run.ok:
        raise RuntimeError(f"primecount alone failed: {run.stderr[-500:]}")
    return float(json.loads(run.stdout)["seconds"][0])


def _huge_n(settings: ProbeSettings, log: Path) -> dict[str, Any]:
    served, alone, largest_rss = [], [], 0
    with _start(settings, log) as running:
        # One unmeasured request first: the pool's processes start in the background after
        # start-up, and P5 is about steady-state cost, not the first request after boot.
        http.get("127.0.0.1", running.port, f"/prime?n={settings.huge_n - settings.requests}", timeout_s=120)
        for i in range(settings.requests):
            n = settings.huge_n - i  # a different n each time: no answer is reused
            answer = http.get("127.0.0.1", running.port, f"/prime?n={n}", timeout_s=120)
            if answer.status != 200 or answer.json() != {"n": n, "prime": oracle.nth_prime(n)}:
                raise RuntimeError(f"/prime?n={n} answered {answer.status}: {answer.body[:200]!r}")
            served.append(answer.elapsed_s)
            alone.append(_primecount_alone(n, settings.cpus))
            largest_rss = max(largest_rss, *(p.memory_info().rss for p in running.tree()))
    return {"served_s": served, "alone_s": alone, "largest_process_rss_bytes": largest_rss}


def run_probe(settings: ProbeSettings, out: Path) -> dict[str, Any]:
    log = out.with_suffix(".server.log")
    huge = _huge_n(settings, log)
    startups = _startups(settings, log)
    ratio = statistics.median(huge["served_s"]) / statistics.median(huge["alone_s"])
    document = {
        "schema_version": PROBE_SCHEMA_VERSION,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine.describe(),
        "contender": settings.contender.name,
        "server_cpus": sorted(settings.cpus) if settings.cpus else None,
        "huge_n": settings.huge_n,
        **huge,
        "p5_ratio_median": ratio,
        "startup_s": startups,
        "startup_s_median": statistics.median(startups),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    return document


def judge(document: dict[str, Any]) -> list[tuple[str, bool, str]]:
    """(target, passed, line) for P5 and P6 from a probe document (pure)."""
    if document.get("schema_version") != PROBE_SCHEMA_VERSION:
        raise ValueError(f"unknown probe schema_version {document.get('schema_version')!r}")
    ratio = document["p5_ratio_median"]
    startup = document["startup_s_median"]
    rss = document["largest_process_rss_bytes"]
    return [
        ("P5", ratio <= P5_MAX_RATIO,
         f"/prime?n={document['huge_n']} latency / primecount alone = {ratio:.3f} (target <= {P5_MAX_RATIO})"),
        ("P6", startup <= P6_MAX_STARTUP_S,
         (f"start to first correct answer, median of {len(document['startup_s'])} = {startup:.3f} s "
          f"(target <= {P6_MAX_STARTUP_S} s)")),
        ("P6", rss <= P6_MAX_RSS_BYTES,
         f"largest process RSS = {rss / 2**20:.1f} MiB (target <= {P6_MAX_RSS_BYTES / 2**20:.0f} MiB per worker)"),
    ]
