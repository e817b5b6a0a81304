"""The HTML report: golden output, self-contained (no script, no network), valid SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from primebench.lab.model import results
from primebench.lab.pages import html_page
from primebench.lab.render import svg
from tests.lab.golden_util import FIXTURE, assert_golden


def test_html_report_matches_golden() -> None:
    assert_golden("report-small.html", html_page.render(results.load(FIXTURE)))


def test_html_is_self_contained() -> None:
    page = html_page.render(results.load(FIXTURE))
    assert "<script" not in page
    assert "<link" not in page
    # The only URL is the SVG namespace, which is a name, not a fetch.
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}


def test_every_chart_is_well_formed_svg() -> None:
    page = html_page.render(results.load(FIXTURE))
    charts = re.findall(r"<svg .*?</svg>", page, re.DOTALL)
    # req/s and latency for the article, convoy, rate and sweep curves
    assert len(charts) == 6  # article x2, sweep, convoy, rate, cores
    for chart in charts:
        ET.fromstring(chart)


def test_bar_chart_escapes_labels() -> None:
    chart = svg.bar_chart("<t>", [svg.Bar("a&b", "s", 10.0, "10")], "req/s")
    ET.fromstring(chart)
    assert "a&amp;b" in chart


def test_line_chart_skips_non_positive_points() -> None:
    chart = svg.line_chart(
        "t", [svg.Series("s", ((0.0, 1.0), (10.0, 5.0), (100.0, 50.0)))], "x", "y"
    )
    ET.fromstring(chart)
    assert chart.count("<circle") == 2


def test_cores_chart_draws_each_points_range() -> None:
    page = html_page.render(results.load(FIXTURE))
    chart = next(c for c in page.split("<figure>") if "against server cores" in c)
    assert chart.count("<circle") == 4  # two contenders at 1 and 2 cores
    assert chart.count('stroke-width="1"/>') == 4  # one min–max bar per point
