"""How figures are written in reports: one place, so Markdown, HTML and the terminal agree.

Units follow the article's table (req/s with thousands separators, ms, MB/s in
decimal megabytes) so the two can be read side by side.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "Render",
    "bytes_per_s",
    "cpu_per_request",
    "ms",
    "rate",
    "ratio",
    "seconds",
    "short",
    "size",
]

Render = Callable[[float], str]


def rate(value: float) -> str:
    """Requests per second: `0` (none answered), `1.93`, `54.2`, `18,532`."""
    if value == 0:
        return "0"
    if value < 10:
        return f"{value:.2f}"
    if value < 1000:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def ms(value: float) -> str:
    """Milliseconds: `0.42 ms`, `12.3 ms`, `1,820 ms`."""
    if value < 10:
        return f"{value:.2f} ms"
    if value < 100:
        return f"{value:.1f} ms"
    return f"{value:,.0f} ms"


def _decimal(value: float, units: tuple[str, ...]) -> str:
    for unit in units[:-1]:
        if abs(value) < 1000:
            return f"{value:.0f} {unit}" if unit == units[0] else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} {units[-1]}"


def size(value: float) -> str:
    """Bytes in decimal units, as the article wrote sizes: `4.2 MB`."""
    return _decimal(value, ("B", "kB", "MB", "GB", "TB"))


def bytes_per_s(value: float) -> str:
    """Throughput: `1.1 MB/s`."""
    return _decimal(value, ("B/s", "kB/s", "MB/s", "GB/s"))


def seconds(value: float) -> str:
    """Durations such as start-up: `0.043 s`, `2.1 s`."""
    return f"{value:.3f} s" if value < 1 else f"{value:.1f} s"


def cpu_per_request(value: float) -> str:
    """Server CPU seconds per request, written in microseconds or milliseconds."""
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    return ms(value * 1e3)


def ratio(value: float) -> str:
    """A ratio between two runs: `1.08x`, `0.31x`, `312x`."""
    return f"{value:.2f}x" if value < 100 else f"{value:,.0f}x"


def short(text: str, width: int = 160) -> str:
    """One line of at most `width` characters (reasons can hold a whole stderr tail)."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
