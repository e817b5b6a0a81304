"""Inline SVG charts for the HTML report: pure functions from numbers to markup.

No charting library, no script, no CDN: the report must open offline, years later, and
diff cleanly in a golden test. Scales are logarithmic by default because the
contenders differ by up to 10^4 in req/s; a linear axis would hide the slow ones.
`linear_chart` is for a quantity over time (a soak's memory), where a slope is the point.
Numbers are rounded to 0.1 px so output is stable across platforms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["PALETTE", "Bar", "Series", "bar_chart", "line_chart", "linear_chart"]

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
FONT = 'font-family="sans-serif" font-size="12"'


@dataclass(frozen=True)
class Bar:
    """One bar: row label, series name (for grouped bars), value, and the text printed beside it."""

    label: str
    series: str
    value: float
    text: str


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a name and its (x, y) points, x ascending.

    `ranges`, when given, holds one (low, high) per point: drawn as a vertical bar (the
    point's min–max over rounds, or its interval), so a reader sees what the line rests on.
    """

    name: str
    points: tuple[tuple[float, float], ...]
    ranges: tuple[tuple[float, float], ...] = ()


def _f(x: float) -> str:
    return f"{round(x, 1):g}"


def _log_position(value: float, lo: float, hi: float, length: float) -> float:
    if value <= 0:
        return 0.0
    span = math.log10(hi) - math.log10(lo)
    return 0.0 if span <= 0 else (math.log10(value) - math.log10(lo)) / span * length


def _bounds(values: Sequence[float]) -> tuple[float, float]:
    positive = [v for v in values if v > 0]
    if not positive:
        return 1.0, 10.0
    lo = 10 ** math.floor(math.log10(min(positive)))
    if lo >= min(positive):  # a value on the axis would get no bar at all
        lo /= 10
    hi = 10 ** math.ceil(math.log10(max(positive)))
    return (lo, hi * 10) if lo == hi else (lo, hi)


def _colors(names: Sequence[str]) -> dict[str, str]:
    unique = list(dict.fromkeys(names))
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(unique)}


def _legend(colors: dict[str, str], x: float, y: float) -> list[str]:
    out = []
    for i, (name, color) in enumerate(colors.items()):
        ly = y + i * 16
        out.append(f'<rect x="{_f(x)}" y="{_f(ly - 9)}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{_f(x + 14)}" y="{_f(ly)}" {FONT}>{escape(name)}</text>')
    return out


def bar_chart(title: str, bars: Sequence[Bar], unit: str, width: int = 760) -> str:
    """Horizontal bars on a log scale, grouped by label; one color per series."""
    label_w, text_w, bar_h, gap = 150, 110, 14, 8
    labels = list(dict.fromkeys(b.label for b in bars))
    series = list(dict.fromkeys(b.series for b in bars))
    colors = _colors(series)
    lo, hi = _bounds([b.value for b in bars])
    plot_w = width - label_w - text_w
    group_h = len(series) * bar_h + gap
    top = 40
    height = top + len(labels) * group_h + 30 + (16 * len(series) if len(series) > 1 else 0)
    out = [
        _svg_open(width, height, title),
        f'<text x="0" y="16" {FONT} font-weight="bold">{escape(title)}</text>',
    ]
    decade = lo
    while decade <= hi:
        x = label_w + _log_position(decade, lo, hi, plot_w)
        out.append(
            f'<line x1="{_f(x)}" y1="{top - 6}" x2="{_f(x)}" '
            f'y2="{_f(top + len(labels) * group_h)}" stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{_f(x)}" y="{top - 10}" {FONT} text-anchor="middle" fill="#666">'
            f"{escape(_tick(decade))}</text>"
        )
        decade *= 10
    for row, label in enumerate(labels):
        y0 = top + row * group_h
        out.append(
            f'<text x="{label_w - 6}" y="{_f(y0 + group_h / 2)}" {FONT} '
            f'text-anchor="end">{escape(label)}</text>'
        )
        for i, name in enumerate(series):
            bar = next((b for b in bars if b.label == label and b.series == name), None)
            if bar is None:
                continue
            y = y0 + i * bar_h
            w = max(_log_position(bar.value, lo, hi, plot_w), 1.0)
            out.append(
                f'<rect x="{label_w}" y="{_f(y)}" width="{_f(w)}" height="{bar_h - 2}" '
                f'fill="{colors[name]}"><title>{escape(f"{label} {name}: {bar.text}")}</title></rect>'
            )
            out.append(
                f'<text x="{_f(label_w + w + 4)}" y="{_f(y + bar_h - 4)}" {FONT}>{escape(bar.text)}</text>'
            )
    footer_y = top + len(labels) * group_h + 16
    out.append(
        f'<text x="{label_w}" y="{_f(footer_y)}" {FONT} fill="#666">{escape(unit)}, log scale</text>'
    )
    if len(series) > 1:
        out += _legend(colors, label_w, footer_y + 18)
    out.append("</svg>")
    return "\n".join(out)


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}">'
    )


def _tick(value: float) -> str:
    if value >= 1:
        return f"{value:,.0f}"
    return f"{value:g}"


def line_chart(
    title: str,
    series: Sequence[Series],
    x_unit: str,
    y_unit: str,
    width: int = 760,
    height: int = 360,
) -> str:
    """Lines on log-log axes (offered rate vs latency, n vs req/s); one color per series."""
    left, right, top, bottom = 70, 150, 30, 40
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points] + [v for s in series for r in s.ranges for v in r]
    xlo, xhi = _bounds(xs)
    ylo, yhi = _bounds(ys)
    plot_w, plot_h = width - left - right, height - top - bottom
    colors = _colors([s.name for s in series])
    out = [
        _svg_open(width, height, title),
        f'<text x="0" y="16" {FONT} font-weight="bold">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>',
    ]
    tick = xlo
    while tick <= xhi:
        x = left + _log_position(tick, xlo, xhi, plot_w)
        out.append(
            f'<text x="{_f(x)}" y="{top + plot_h + 14}" {FONT} text-anchor="middle" '
            f'fill="#666">{escape(_tick(tick))}</text>'
        )
        tick *= 10
    tick = ylo
    while tick <= yhi:
        y = top + plot_h - _log_position(tick, ylo, yhi, plot_h)
        out.append(
            f'<line x1="{left}" y1="{_f(y)}" x2="{left + plot_w}" y2="{_f(y)}" stroke="#eee"/>'
        )
        out.append(
            f'<text x="{left - 4}" y="{_f(y + 4)}" {FONT} text-anchor="end" '
            f'fill="#666">{escape(_tick(tick))}</text>'
        )
        tick *= 10
    for s in series:
        pts = [
            (
                left + _log_position(x, xlo, xhi, plot_w),
                top + plot_h - _log_position(y, ylo, yhi, plot_h),
            )
            for x, y in s.points
            if x > 0 and y > 0
        ]
        if not pts:
            continue
        path = " ".join(f"{_f(x)},{_f(y)}" for x, y in pts)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colors[s.name]}" stroke-width="2"/>'
        )
        out += [
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" fill="{colors[s.name]}"/>' for x, y in pts
        ]
        for (x, _), (lo, hi) in zip(s.points, s.ranges, strict=False):
            if x <= 0 or lo <= 0 or hi <= 0:
                continue
            px = left + _log_position(x, xlo, xhi, plot_w)
            y1 = top + plot_h - _log_position(lo, ylo, yhi, plot_h)
            y2 = top + plot_h - _log_position(hi, ylo, yhi, plot_h)
            out.append(
                f'<line x1="{_f(px)}" y1="{_f(y1)}" x2="{_f(px)}" y2="{_f(y2)}" '
                f'stroke="{colors[s.name]}" stroke-width="1"/>'
            )
    out.append(
        f'<text x="{left + plot_w / 2:g}" y="{height - 6}" {FONT} text-anchor="middle">'
        f"{escape(x_unit)} (log)</text>"
    )
    out.append(
        f'<text x="12" y="{top + plot_h / 2:g}" {FONT} text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:g})">{escape(y_unit)} (log)</text>'
    )
    out += _legend(colors, left + plot_w + 12, top + 10)
    out.append("</svg>")
    return "\n".join(out)


def _nice_step(span: float, ticks: int = 5) -> float:
    """A 1, 2 or 5 times a power of ten that cuts `span` into about `ticks` parts."""
    raw = span / ticks if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    step: float = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step


def linear_chart(
    title: str,
    series: Sequence[Series],
    x_unit: str,
    y_unit: str,
    width: int = 760,
    height: int = 360,
) -> str:
    """Lines on linear axes, y from 0 (memory against time); one color per series."""
    left, right, top, bottom = 70, 230, 30, 40
    xs = [x for s in series for x, _ in s.points] or [0.0, 1.0]
    ys = [y for s in series for _, y in s.points] or [1.0]
    xlo, xhi = min(xs), max(xs)
    xhi = xhi if xhi > xlo else xlo + 1.0
    ystep = _nice_step(max(ys))
    yhi = max(ystep, math.ceil(max(ys) / ystep) * ystep)
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (x - xlo) / (xhi - xlo) * plot_w

    def py(y: float) -> float:
        return top + plot_h - y / yhi * plot_h

    colors = _colors([s.name for s in series])
    out = [
        _svg_open(width, height, title),
        f'<text x="0" y="16" {FONT} font-weight="bold">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>',
    ]
    steps = round(yhi / ystep)
    for i in range(steps + 1):
        y = py(i * ystep)
        out.append(
            f'<line x1="{left}" y1="{_f(y)}" x2="{left + plot_w}" y2="{_f(y)}" stroke="#eee"/>'
        )
        out.append(
            f'<text x="{left - 4}" y="{_f(y + 4)}" {FONT} text-anchor="end" '
            f'fill="#666">{escape(_tick(i * ystep))}</text>'
        )
    xstep = _nice_step(xhi - xlo)
    tick = math.ceil(xlo / xstep) * xstep
    while tick <= xhi + 1e-9:
        out.append(
            f'<text x="{_f(px(tick))}" y="{top + plot_h + 14}" {FONT} text-anchor="middle" '
            f'fill="#666">{escape(_tick(tick))}</text>'
        )
        tick += xstep
    for s in series:
        pts = [(px(x), py(y)) for x, y in s.points]
        if not pts:
            continue
        path = " ".join(f"{_f(x)},{_f(y)}" for x, y in pts)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colors[s.name]}" stroke-width="2"/>'
        )
    out.append(
        f'<text x="{left + plot_w / 2:g}" y="{height - 6}" {FONT} text-anchor="middle">'
        f"{escape(x_unit)}</text>"
    )
    out.append(
        f'<text x="12" y="{top + plot_h / 2:g}" {FONT} text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:g})">{escape(y_unit)}</text>'
    )
    out += _legend(colors, left + plot_w + 12, top + 10)
    out.append("</svg>")
    return "\n".join(out)
