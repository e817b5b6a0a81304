"""Which scenario heads a page and sits beside the claims, asked of the scenario objects."""

from __future__ import annotations

import dataclasses

from primebench.lab.model import results
from primebench.lab.model.results import Document, ScenarioRecord
from primebench.lab.pages import sections
from tests.lab.golden_util import FIXTURE


def _doc_with(*named: tuple[str, str]) -> Document:
    """The fixture with scenarios renamed: (fixture scenario, name it gets)."""
    doc = results.load(FIXTURE)
    picked: list[ScenarioRecord] = []
    for source, name in named:
        found = doc.scenario(source)
        assert found is not None
        picked.append(dataclasses.replace(found, name=name))
    return dataclasses.replace(doc, scenarios=tuple(picked))


def test_the_article_heads_the_report_wherever_it_is_in_the_document() -> None:
    doc = _doc_with(("sweep", "sweep"), ("article", "floor"), ("article", "article"))
    head = sections.headline_scenario(doc)
    assert head is not None and head.name == "article"


def test_without_the_article_the_floor_heads_then_random_n() -> None:
    doc = _doc_with(("article", "random-n"), ("article", "floor"))
    head = sections.headline_scenario(doc)
    assert head is not None and head.name == "floor"
    only_random = _doc_with(("article", "random-n"))
    head = sections.headline_scenario(only_random)
    assert head is not None and head.name == "random-n"


def test_scenarios_that_are_not_one_point_never_head_it() -> None:
    doc = _doc_with(("sweep", "sweep"), ("convoy", "convoy"), ("article", "from-the-future"))
    assert sections.headline_scenario(doc) is None
    assert sections.claims_scenario(doc) is None


def test_only_the_articles_run_sits_beside_the_claims() -> None:
    doc = _doc_with(("article", "floor"), ("article", "article"))
    beside = sections.claims_scenario(doc)
    assert beside is not None and beside.name == "article"


def test_a_scenarios_tables_then_its_comparisons() -> None:
    doc = results.load(FIXTURE)
    article, convoy = doc.scenario("article"), doc.scenario("convoy")
    assert article is not None and convoy is not None
    titles = [t.title for t in sections.scenario_tables(article)]
    assert len(titles) == 2 and titles[1] == "article: comparisons against the baseline"
    assert [t.header[1] for t in sections.scenario_tables(convoy)] == ["heavy n"]
    assert len(sections.scenario_charts(convoy)) == 1
