"""The random-n scenario: every request a different n, always through wrk."""

from __future__ import annotations

from dataclasses import replace

from primebench.lab.model.generators import Generator
from primebench.lab.scenarios import get
from primebench.lab.scenarios.base import Stream
from tests.lab.scenarios.fixture import article_as

RANDOM_N = get("random-n")


def test_plan_draws_n_from_the_range() -> None:
    settings = replace(RANDOM_N.defaults(), n_range=(5, 500), connections=8)
    (point,) = RANDOM_N.plan(settings, "go-seed")
    assert (point.key, point.label) == ("n~U[5,500]", "n uniform in 5..500")
    assert dict(point.params) == {"n_range": [5, 500]}
    assert point.streams == (Stream("main", Generator.WRK, "/prime?n=5", 8, random_n=(5, 500)),)


def test_always_wrk_whatever_the_settings_generator() -> None:
    settings = replace(RANDOM_N.defaults(), generator=Generator.OHA)
    assert RANDOM_N.generators(settings) == {Generator.WRK}
    assert RANDOM_N.plan(settings, "x")[0].streams[0].generator is Generator.WRK
    assert not RANDOM_N.generator_choosable


def test_defaults_and_view() -> None:
    assert RANDOM_N.defaults().n_range == (1, 20000)
    assert RANDOM_N.heads_report and not RANDOM_N.beside_claims
    (table,) = RANDOM_N.tables(article_as("random-n"))
    assert table.title.startswith("random-n: ")
