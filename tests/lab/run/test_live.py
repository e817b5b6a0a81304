"""Live progress: a bar on a terminal, plain lines in a pipe or with --quiet."""

from __future__ import annotations

import io

from primebench.lab.run.live import Live


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    with Live(stream=out) as live:
        assert not live.bar
        live.plan(30.0)
        live("  go-seed round 1: 44.2 req/s")
        live.advance(10.0, "[article] n=20000 round 1/10: go-seed")
    assert out.getvalue() == "  go-seed round 1: 44.2 req/s\n"  # the line, and nothing else


def test_quiet_is_plain_even_on_a_terminal() -> None:
    out = Terminal()
    with Live(stream=out, quiet=True) as live:
        assert not live.bar
        live("one line")
    assert out.getvalue() == "one line\n"


def test_a_terminal_gets_a_bar_with_the_lines_above_it() -> None:
    out = Terminal()
    with Live(stream=out) as live:
        assert live.bar
        live.plan(20.0)
        live.advance(10.0, "[article] n=20000 round 1/2: go-seed")
        live("  go-seed round 1: 44.2 req/s")
        live.plan(-10.0)  # an arm stopped early: its rounds are taken back
        live.doing("[article] done")
    text = out.getvalue()
    assert "go-seed round 1: 44.2 req/s" in text
    assert "\x1b[" in text  # the bar was drawn (and cleared: transient)
