"""Every setting of the service, as one frozen object built from CLI flags and PRIMEBENCH_* variables.

Precedence: flag, then environment variable, then default. A bad value is refused at
start with a message naming the flag, the variable and the allowed values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from primebench.errors import UserError
from primebench.primes import EngineName
from primebench.primes.table import SHIPPED_COUNT

__all__ = ["ENV_PREFIX", "SPECS", "Offload", "SettingSpec", "Settings", "resolve"]

ENV_PREFIX = "PRIMEBENCH_"


class Offload(StrEnum):
    AUTO = "auto"  # heavy n (more than ~1 ms) to the process pool, cheap n inline
    NEVER = "never"  # everything on the event loop (the article's Node and Axum servers)
    ALWAYS = "always"  # everything in the pool


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 0  # 0: one per CPU this process may use (affinity mask and cgroup quota)
    engine: EngineName = EngineName.FAST
    offload: Offload = Offload.AUTO
    max_n: int = 10**14  # p(10^14): 2.0 s on one thread, a fifth of the default deadline
    table_size: int = SHIPPED_COUNT  # the table the package ships: a start maps it
    pool_size: int = 0  # 0: CPUs / workers, at least 1 (and what the memory limit allows)
    compute_threads: int = 0  # 0: CPUs / all pool processes, at least 1
    answer_cache: int = 10_000  # heavy answers remembered per worker; 0: none
    queue_depth: int = 64
    deadline: float = 10.0
    grace: float = 10.0
    max_header_bytes: int = 65_536
    header_timeout: float = 30.0  # a request head must arrive within this (slow clients, slowloris)
    keep_alive: bool = True
    max_connections: int = 16_384  # open connections per worker; more wait in the backlog
    backlog: int = 4096
    drain: float = 1.0  # after SIGTERM: readiness 503, still accepting (Connection: close)
    loop: str = "auto"
    # the HTTP core: the service's own (llhttp via httptools, on uvloop: service/http1.py),
    # which answers a table hit inside the loop's read callback, or granian (Rust, hyper),
    # where each request crosses from granian's I/O thread to Python and back (issue 18)
    server: str = "httptools"
    task_impl: str = (
        "asyncio"  # rust leaks every future a request awaits (granian 2.8.9; docs/RELIABILITY.md)
    )
    log_level: str = "warning"

    def to_env(self) -> dict[str, str]:
        """The same settings as environment variables (how a spawned worker would receive them)."""
        return {spec.env: str(getattr(self, spec.name)) for spec in SPECS}


@dataclass(frozen=True)
class SettingSpec:
    name: str
    parse: Callable[[str], Any]
    allowed: str
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


def _int_range(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text.strip().replace("_", ""))
        if not low <= value <= high:
            raise ValueError
        return value

    return parse


def _float_range(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text)
        if not low <= value <= high:
            raise ValueError
        return value

    return parse


def _host(text: str) -> str:
    if not text or any(ch.isspace() for ch in text):
        raise ValueError
    return text


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError


def _choice(values: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in values:
            raise ValueError
        return text

    return parse


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("host", _host, "an IP address or host name", "address to bind"),
    SettingSpec("port", _int_range(0, 65535), "an integer from 0 to 65535", "port to bind"),
    SettingSpec("workers", _int_range(0, 512), "0 (one per CPU) to 512", "worker processes"),
    SettingSpec(
        "engine",
        EngineName,
        "one of " + ", ".join(e.value for e in EngineName),
        "how p(n) is computed",
    ),
    SettingSpec(
        "offload",
        Offload,
        "one of " + ", ".join(o.value for o in Offload),
        "which n go to the pool",
    ),
    SettingSpec("max_n", _int_range(1, 10**16), "an integer from 1 to 10^16", "largest n accepted"),
    SettingSpec(
        "table_size", _int_range(1, 50_000_000), "1 to 50000000", "primes in the start-up table"
    ),
    SettingSpec(
        "pool_size", _int_range(0, 256), "0 (CPUs / workers) to 256", "pool processes per worker"
    ),
    SettingSpec(
        "compute_threads",
        _int_range(0, 256),
        "0 (CPUs / all pool processes) to 256",
        "primecount threads per computation",
    ),
    SettingSpec(
        "answer_cache",
        _int_range(0, 10_000_000),
        "0 (off) to 10000000",
        "heavy answers remembered per worker",
    ),
    SettingSpec(
        "queue_depth",
        _int_range(0, 100_000),
        "0 to 100000",
        "heavy computations waiting per worker",
    ),
    SettingSpec(
        "deadline",
        _float_range(0.01, 3600),
        "seconds from 0.01 to 3600",
        "limit per heavy computation",
    ),
    SettingSpec("grace", _float_range(1, 1800), "seconds from 1 to 1800", "shutdown grace period"),
    SettingSpec(
        "max_header_bytes",
        _int_range(8192, 16 * 2**20),
        "8192 to 16777216",
        "request head size limit",
    ),
    SettingSpec(
        "header_timeout",
        _float_range(0.1, 600),
        "seconds from 0.1 to 600",
        "time limit to receive a request head",
    ),
    SettingSpec("keep_alive", _boolean, "true or false", "keep connections open between requests"),
    SettingSpec(
        "max_connections", _int_range(16, 1_000_000), "16 to 1000000", "open connections per worker"
    ),
    SettingSpec("backlog", _int_range(128, 65535), "128 to 65535", "listen backlog"),
    SettingSpec(
        "drain",
        _float_range(0, 60),
        "seconds from 0 to 60",
        "after SIGTERM, keep answering (readiness 503, Connection: close) this long before closing",
    ),
    SettingSpec(
        "loop",
        _choice(("auto", "asyncio", "uvloop")),
        "one of auto, asyncio, uvloop (rloop is refused: granian's RSGI worker crashes on it)",
        "event loop of each worker (auto: granian's pick among those installed)",
    ),
    SettingSpec(
        "server",
        _choice(("httptools", "granian")),
        "one of httptools, granian",
        "HTTP core: the service's own (httptools on uvloop) or granian",
    ),
    SettingSpec(
        "task_impl",
        _choice(("asyncio", "rust")),
        "one of asyncio, rust",
        "how granian runs each request's coroutine (rust: no asyncio Task per request, but leaks)",
    ),
    SettingSpec(
        "log_level",
        _choice(("critical", "error", "warning", "info", "debug")),
        "one of critical, error, warning, info, debug",
        "log level",
    ),
)

assert [spec.name for spec in SPECS] == [f.name for f in fields(Settings)]


def resolve(flags: Mapping[str, str | None], environ: Mapping[str, str]) -> Settings:
    """Settings from flag values (None = not given) and the environment; UserError on a bad value."""
    values: dict[str, Any] = {}
    for spec in SPECS:
        raw, source = flags.get(spec.name), spec.flag
        if raw is None:
            raw, source = environ.get(spec.env), spec.env
        if raw is None:
            continue
        try:
            values[spec.name] = spec.parse(raw)
        except ValueError:
            raise UserError(
                f"bad setting {spec.flag} / {spec.env} (from {source}): {raw!r}; allowed: {spec.allowed}"
            )
    settings = Settings(**values)
    if settings.engine is EngineName.TRIAL_JIT:
        from primebench.primes.trial_jit import MAX_N, available

        if not available():
            raise UserError(
                "engine trial-jit needs numba, which is not installed: install primebench[jit] "
                "(pip install 'primebench[jit]')"
            )

        if settings.max_n > MAX_N and "max_n" in values:
            raise UserError(
                f"bad setting --max-n / {ENV_PREFIX}MAX_N: engine trial-jit works in u32; allowed: 1 to {MAX_N}"
            )
    return settings
