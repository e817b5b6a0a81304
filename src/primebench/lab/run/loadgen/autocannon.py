"""autocannon, the article's load generator, read through its `--json` report.

Closed-loop only (each connection sends its next request when the previous answer
arrives), one Node process, one fixed URL: exactly how the article ran it. Two limits
a reader of its figures must know, both measured here: its latency histogram has
whole-millisecond resolution, and it saturates one core near 20-28k req/s, so it
cannot measure a server faster than that (the bench flags such runs generator-bound).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any, Final

from primebench.lab.model.load_records import Latency, LoadParseError, LoadResult, LoadSpec, ok_rate

__all__ = ["NAME", "argv", "locate", "parse", "parse_version"]

NAME: Final = "autocannon"


def locate(root: Path) -> Path | None:
    """The copy the set-up installs under `tools/node_modules`, else one on PATH."""
    local = root / "tools" / "node_modules" / ".bin" / "autocannon"
    if local.exists():
        return local
    found = shutil.which("autocannon")
    return Path(found) if found else None


def argv(exe: Path, spec: LoadSpec) -> list[str]:
    """The command line for `spec`; autocannon counts its duration in whole seconds.

    It has no per-request n and no coordinated-omission-corrected rate, so specs asking
    for either are refused rather than silently run as something else.
    """
    if spec.random_n is not None or spec.path_regex is not None:
        raise ValueError("autocannon sends one fixed URL; a per-request n needs wrk or oha")
    if spec.rate is not None:
        raise ValueError(
            "autocannon's fixed rate does not correct for coordinated omission; use oha"
        )
    seconds = max(1, math.ceil(spec.duration_s - 1e-9))
    timeout = max(1, math.ceil(spec.request_timeout_s))
    return [
        str(exe),
        "--json",
        "-c",
        str(spec.connections),
        "-d",
        str(seconds),
        "-t",
        str(timeout),
        spec.url,
    ]


def _number(data: dict[str, Any], key: str) -> float:
    value = data.get(key)
    if not isinstance(value, int | float):
        raise LoadParseError(f"autocannon JSON: {key!r} is missing or not a number")
    return float(value)


def parse(stdout: str, spec: LoadSpec) -> LoadResult:
    """Read autocannon's JSON report (the last JSON line of stdout).

    autocannon's `errors` include its `timeouts`; they are separated here so that each
    failure is counted once. Throughput is total bytes over the measured duration
    (its per-second average would drop a partial last second).
    """
    report = _last_json_object(stdout)
    duration = _number(report, "duration")
    requests_block = report.get("requests")
    latency_block = report.get("latency")
    throughput_block = report.get("throughput")
    if not (
        isinstance(requests_block, dict)
        and isinstance(latency_block, dict)
        and isinstance(throughput_block, dict)
    ):
        raise LoadParseError("autocannon JSON: missing requests/latency/throughput blocks")
    requests = int(_number(requests_block, "total"))
    non_2xx = int(_number(report, "non2xx"))
    timeouts = int(_number(report, "timeouts"))
    errors = max(int(_number(report, "errors")) - timeouts, 0)
    latency = None
    if int(_number(latency_block, "totalCount")) > 0:
        latency = Latency(
            avg=_number(latency_block, "average"),
            p50=_number(latency_block, "p50"),
            p90=_number(latency_block, "p90"),
            p99=_number(latency_block, "p99"),
            max=_number(latency_block, "max"),
        )
    return LoadResult(
        tool=NAME,
        duration_s=duration,
        requests=requests,
        req_per_s=ok_rate(requests, non_2xx, duration),
        latency_ms=latency,
        throughput_bytes_per_s=_number(throughput_block, "total") / duration
        if duration > 0
        else 0.0,
        errors=errors,
        non_2xx=non_2xx,
        timeouts=timeouts,
        extra={
            "resets": int(report.get("resets", 0)),
            "mismatches": int(report.get("mismatches", 0)),
            "sent": int(requests_block.get("sent", 0)),
            "latency_resolution_ms": 1,
        },
    )


def _last_json_object(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LoadParseError(f"autocannon printed malformed JSON: {exc}") from exc
            if isinstance(value, dict):
                return value
    raise LoadParseError("autocannon printed no JSON report")


def parse_version(text: str) -> str:
    """`autocannon --version` prints `autocannon vX` and then `node vY`; both matter."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return "; ".join(lines) if lines else "unknown"
