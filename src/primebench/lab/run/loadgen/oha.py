"""oha, the open-loop generator: a fixed offered rate, latency corrected for coordinated omission.

Why oha and not wrk2 or autocannon's `-R`: a closed-loop tool stops sending while the
server stalls, so a stall hides in a handful of slow samples (coordinated omission).
An open-loop tool keeps the schedule, and with `--latency-correction` counts each
request's latency from when it *should* have been sent. autocannon documents that its
`-R` does not correct; wrk2 is not packaged for Debian or any registry reachable here;
oha is on crates.io, corrects, and prints JSON (`--output-format json`). Chosen by
that, and by measuring that it keeps its schedule on one core at the rates used here.

Requests cut off at the end of the run ("aborted due to deadline") are not server
errors; they are counted apart. With `random_n`, oha draws each URL from a regex
(`--rand-regex-url`): n is 1..max with a uniform number of digits, so cheap small n
dominate, which is what the convoy's light stream wants. With `path_regex` (the soak's
light/heavy mix, `model.n_regex`), each request's target is drawn from that regex.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any, Final

from primebench.lab.model.load_records import Latency, LoadParseError, LoadResult, LoadSpec, ok_rate
from primebench.lab.model.n_regex import digits_regex

__all__ = ["NAME", "argv", "digits_regex", "locate", "parse", "parse_version"]

NAME: Final = "oha"


def locate(root: Path) -> Path | None:
    """The copy `cargo install` put in cargo's bin dir (the set-up's), else one on PATH.

    `root` (the checkout) is unused here: oha is shared by every checkout on the machine.
    """
    cargo_home = Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo")
    local = cargo_home / "bin" / "oha"
    if local.exists():
        return local
    found = shutil.which("oha")
    return Path(found) if found else None


def argv(exe: Path, spec: LoadSpec) -> list[str]:
    """The command line for `spec`: open-loop when `spec.rate` is set, closed-loop otherwise."""
    seconds = max(spec.duration_s, 0.5)
    timeout = max(1, math.ceil(spec.request_timeout_s))
    command = [
        str(exe),
        "--no-tui",
        "--output-format",
        "json",
        "-z",
        f"{seconds:g}s",
        "-c",
        str(spec.connections),
        "-t",
        f"{timeout}s",
    ]
    if spec.rate is not None:
        command += ["-q", f"{spec.rate:g}", "--latency-correction"]
    if spec.path_regex is not None:
        command += ["--rand-regex-url", f"http://{spec.host}:{spec.port}{spec.path_regex}"]
    elif spec.random_n is not None:
        lo, hi = spec.random_n
        if lo != 1:
            raise ValueError("oha draws n from a digits regex, so its range must start at 1")
        base = spec.url.split("?", 1)[0]
        # The regex engine treats '?' as a quantifier: escape it; '.' is literal with this flag.
        command += ["--rand-regex-url", f"{base}\\?n={digits_regex(hi)}"]
    else:
        command.append(spec.url)
    return command


def _seconds_to_ms(value: Any) -> float:
    if not isinstance(value, int | float):
        raise LoadParseError(f"oha JSON: expected a number of seconds, got {value!r}")
    return float(value) * 1000.0


def parse(stdout: str, spec: LoadSpec) -> LoadResult:
    """Read oha's JSON report (times in seconds; latency over completed requests)."""
    try:
        report = json.loads(stdout[stdout.index("{") :])
    except (ValueError, json.JSONDecodeError) as exc:
        raise LoadParseError(f"oha printed no JSON report: {exc}") from exc
    try:
        summary = report["summary"]
        percentiles = report["latencyPercentiles"]
        statuses: dict[str, int] = report["statusCodeDistribution"]
        error_kinds: dict[str, int] = report["errorDistribution"]
        duration = float(summary["total"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LoadParseError(f"oha JSON report is incomplete: {exc!r}") from exc
    requests = sum(int(v) for v in statuses.values())
    non_2xx = sum(int(v) for k, v in statuses.items() if not k.startswith("2"))
    timeouts = errors = aborted = 0
    for kind, count in error_kinds.items():
        lowered = kind.lower()
        if "deadline" in lowered:
            aborted += int(count)
        elif "timeout" in lowered or "timed out" in lowered:
            timeouts += int(count)
        else:
            errors += int(count)
    latency = None
    if requests > 0:
        latency = Latency(
            avg=_seconds_to_ms(summary["average"]),
            p50=_seconds_to_ms(percentiles["p50"]),
            p90=_seconds_to_ms(percentiles["p90"]),
            p99=_seconds_to_ms(percentiles["p99"]),
            max=_seconds_to_ms(summary["slowest"]),
        )
    total_data = summary.get("totalData") or 0
    return LoadResult(
        tool=NAME,
        duration_s=duration,
        requests=requests,
        req_per_s=ok_rate(requests, non_2xx, duration),
        latency_ms=latency,
        throughput_bytes_per_s=float(total_data) / duration if duration > 0 else 0.0,
        errors=errors,
        non_2xx=non_2xx,
        timeouts=timeouts,
        offered_rate=spec.rate,
        extra={
            "aborted_at_deadline": aborted,
            "latency_corrected": spec.rate is not None,
            "error_kinds": dict(error_kinds),
            "latency_p99_9_ms": _optional_ms(percentiles.get("p99.9")),
        },
    )


def _optional_ms(value: Any) -> float | None:
    return float(value) * 1000.0 if isinstance(value, int | float) else None


def parse_version(text: str) -> str:
    """`oha --version` prints `oha X.Y.Z`."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first.strip() or "unknown"
