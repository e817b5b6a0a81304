"""What a load run asks for (`LoadSpec`) and what it measured (`LoadResult`), tool-independent.

Every generator's machine output is read into the same record so that scenarios, the
results document and the reports never care which tool ran. Units are fixed here once:
latency in milliseconds, throughput in bytes per second, rates per second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import ConfigDict, NonNegativeFloat, NonNegativeInt

from primebench.lab.model.vocabulary import RECORD_CONFIG, LoadTool

__all__ = ["LOOPBACK", "Latency", "LoadParseError", "LoadResult", "LoadSpec", "ok_rate"]

LOOPBACK = "127.0.0.1"


class LoadParseError(Exception):
    """A tool's output could not be read as a measurement.

    The run is recorded as failed with this reason, never as a zero.
    """


@dataclass(frozen=True)
class LoadSpec:
    """One bounded load run against one local server.

    `path` is the request target (`/prime?n=20000`). With `random_n=(lo, hi)` each request
    asks for a different n drawn uniformly from lo..hi (wrk's Lua does it per request), so
    no server wins by caching one answer. `rate` (requests/s, all connections together)
    makes the run open-loop: requests are sent on a schedule whatever the server does, and
    latency is counted from the scheduled time (coordinated-omission corrected, oha only).
    `path_regex` (oha only) draws each request's target from a regex instead of `path`
    (`model.n_regex`: the soak's mix of light and heavy n).
    """

    port: int
    path: str
    connections: int
    duration_s: float
    host: str = LOOPBACK
    threads: int = 1
    rate: float | None = None
    random_n: tuple[int, int] | None = None
    request_timeout_s: float = 10.0
    seed: int = 20000
    path_regex: str | None = None

    def __post_init__(self) -> None:
        # Load only ever targets the loopback interface: the lab must never load a remote host.
        if self.host != LOOPBACK:
            raise ValueError(f"load must target {LOOPBACK}, got {self.host}")
        if self.connections < 1:
            raise ValueError(f"connections must be >= 1, got {self.connections}")
        if self.duration_s <= 0:
            raise ValueError(f"duration must be > 0 s, got {self.duration_s}")
        if self.rate is not None and self.rate <= 0:
            raise ValueError(f"rate must be > 0 requests/s, got {self.rate}")
        if self.random_n is not None and not 1 <= self.random_n[0] <= self.random_n[1]:
            raise ValueError(f"random n range must satisfy 1 <= lo <= hi, got {self.random_n}")

    @property
    def url(self) -> str:
        """The full URL of `path` on the loopback server."""
        return f"http://{self.host}:{self.port}{self.path}"

    @property
    def tool_timeout_s(self) -> float:
        """Hard bound for the tool process: the run, the last requests' timeout, and start-up."""
        return self.duration_s + self.request_timeout_s + 15.0


@dataclass(frozen=True)
class Latency:
    """Latency of completed requests, in milliseconds."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    avg: NonNegativeFloat
    p50: NonNegativeFloat
    p90: NonNegativeFloat
    p99: NonNegativeFloat
    max: NonNegativeFloat


@dataclass(frozen=True)
class LoadResult:
    """One load run as measured by its tool.

    `requests` counts completed responses of any status; `req_per_s` counts only the 2xx
    ones over the measured duration, so a server that answers errors fast does not look fast.
    `errors` are connection-level failures (connect, read, write, reset), not timeouts and
    not non-2xx answers, which have their own counts. `latency_ms` is None when no
    request completed (a tool's empty histogram holds no latency, not a zero one).
    `extra` holds what only one tool reports (wrk's p99.9, oha's error kinds): open JSON.
    """

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    tool: LoadTool
    duration_s: NonNegativeFloat
    requests: NonNegativeInt
    req_per_s: NonNegativeFloat
    latency_ms: Latency | None
    throughput_bytes_per_s: NonNegativeFloat
    errors: NonNegativeInt
    non_2xx: NonNegativeInt
    timeouts: NonNegativeInt
    offered_rate: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def ok_rate(requests: int, non_2xx: int, duration_s: float) -> float:
    """2xx responses per second over the measured duration (0.0 for an empty run)."""
    if duration_s <= 0:
        return 0.0
    return max(requests - non_2xx, 0) / duration_s
