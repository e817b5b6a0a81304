"""wrk, read through a Lua `done()` hook that prints JSON (never by scraping its text).

wrk is C, epoll, one thread per generator core: the cheapest closed-loop generator
here, so it is the default wherever a fast server must not be hidden by the tool. Its
Lua script (`wrk_report.lua`, shipped in this package) can also ask for a different n
on every request. Limits, stated once: durations are whole seconds; a non-2xx count
is wrk's `status` error count (statuses >= 400; none of the contenders redirects); a
request that never answers is not in the latency histogram.
"""

from __future__ import annotations

import json
import math
import shutil
from importlib import resources
from pathlib import Path
from typing import Any, Final

from primebench.lab.model.load_records import Latency, LoadParseError, LoadResult, LoadSpec, ok_rate

__all__ = ["MARKER", "NAME", "argv", "locate", "parse", "parse_version", "script_path"]

NAME: Final = "wrk"
MARKER = "PRIMEBENCH_WRK_JSON "


def locate(root: Path) -> Path | None:
    """wrk comes from Debian (`apt-get install wrk`), so it is found on PATH."""
    del root  # same signature as the other generators
    found = shutil.which("wrk")
    return Path(found) if found else None


def script_path() -> Path:
    """The Lua report script, a real file inside the installed package."""
    return Path(str(resources.files("primebench.lab.run.loadgen") / "wrk_report.lua"))


def argv(exe: Path, spec: LoadSpec) -> list[str]:
    """The command line for `spec`; per-request n goes to the Lua script after `--`."""
    if spec.rate is not None:
        raise ValueError("wrk is closed-loop; a fixed offered rate needs oha")
    threads = max(1, min(spec.threads, spec.connections))
    seconds = max(1, math.ceil(spec.duration_s - 1e-9))
    timeout = max(1, math.ceil(spec.request_timeout_s))
    if spec.path_regex is not None:
        raise ValueError("wrk draws n from a range (its Lua script); a target regex needs oha")
    command = [
        str(exe),
        "-t",
        str(threads),
        "-c",
        str(spec.connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        f"{timeout}s",
        "-s",
        str(script_path()),
        spec.url,
    ]
    if spec.random_n is not None:
        lo, hi = spec.random_n
        prefix = spec.path.split("?", 1)[0] + "?n="
        command += ["--", str(lo), str(hi), str(spec.seed), prefix]
    return command


def parse(stdout: str, spec: LoadSpec) -> LoadResult:
    """Read the JSON line the Lua `done()` hook printed after wrk's own text."""
    del spec
    report = _report(stdout)
    try:
        duration = float(report["duration_us"]) / 1e6
        requests = int(report["requests"])
        errors = report["errors"]
        lat = report["latency_us"]
        non_2xx = int(errors["status"])
        timeouts = int(errors["timeout"])
        connection_errors = int(errors["connect"]) + int(errors["read"]) + int(errors["write"])
        latency = None
        if requests > 0:
            latency = Latency(
                avg=float(lat["mean"]) / 1000.0,
                p50=float(lat["p50"]) / 1000.0,
                p90=float(lat["p90"]) / 1000.0,
                p99=float(lat["p99"]) / 1000.0,
                max=float(lat["max"]) / 1000.0,
            )
        throughput = float(report["bytes"]) / duration if duration > 0 else 0.0
    except (KeyError, TypeError, ValueError) as exc:
        raise LoadParseError(f"wrk JSON report is incomplete: {exc!r}") from exc
    return LoadResult(
        tool=NAME,
        duration_s=duration,
        requests=requests,
        req_per_s=ok_rate(requests, non_2xx, duration),
        latency_ms=latency,
        throughput_bytes_per_s=throughput,
        errors=connection_errors,
        non_2xx=non_2xx,
        timeouts=timeouts,
        extra={"latency_p99_9_ms": float(lat["p99_9"]) / 1000.0 if requests > 0 else None},
    )


def _report(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            try:
                value = json.loads(line[len(MARKER) :])
            except json.JSONDecodeError as exc:
                raise LoadParseError(f"wrk's Lua report is malformed JSON: {exc}") from exc
            if isinstance(value, dict):
                return value
    raise LoadParseError("wrk printed no Lua report (it stopped before done())")


def parse_version(text: str) -> str:
    """`wrk --version` prints `wrk <version> [epoll] Copyright...` then its usage (exit 1)."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first.split(" Copyright")[0].strip() or "unknown"
