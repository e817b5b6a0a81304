"""footnotes: each contender's algorithm from its document; the old name-keyed table only
for documents written before the field."""

from __future__ import annotations

import dataclasses

from primebench.lab.model import results
from primebench.lab.model.results import ARTICLE_ALGORITHM, Document
from primebench.lab.render import footnotes, tables
from tests.lab.golden_util import FIXTURE

PRIMEBENCH_LEGACY = "differs: a sieved prime table, then primecount; no trial division"


def _with_algorithms(doc: Document, algorithms: dict[str, str]) -> Document:
    """The fixture as a document written with the field: `algorithms` by name, else the article's."""
    contenders = tuple(
        dataclasses.replace(c, algorithm=algorithms.get(c.name, ARTICLE_ALGORITHM))
        for c in doc.contenders
    )
    return dataclasses.replace(doc, contenders=contenders)


def test_a_document_without_the_field_falls_back_to_the_names() -> None:
    doc = results.load(FIXTURE)
    assert all(c.algorithm is None for c in doc.contenders)
    assert footnotes.algorithm_labels(doc) == {
        "node-seed": ARTICLE_ALGORITHM,
        "go-seed": ARTICLE_ALGORITHM,
        "rust-axum": ARTICLE_ALGORITHM,
        "python-seed": ARTICLE_ALGORITHM,
        "primebench": PRIMEBENCH_LEGACY,
    }


def test_the_recorded_algorithm_wins_over_the_name() -> None:
    doc = _with_algorithms(results.load(FIXTURE), {"go-seed": "sieve"})
    labels = footnotes.algorithm_labels(doc)
    # primebench recorded the article's algorithm here: the document is believed, not the name.
    assert (labels["go-seed"], labels["primebench"]) == ("sieve", ARTICLE_ALGORITHM)
    article = doc.scenario("article")
    assert article is not None
    row = next(r for r in tables.headline_table(doc, article).rows if r[0] == "Algorithm")
    a = ARTICLE_ALGORITHM  # node-seed, go-seed, rust-axum, python-seed, primebench
    assert row == ("Algorithm", a, "sieve", a, a, a)


def test_marks_and_notes_follow_the_labels_and_spare_the_aa_twin() -> None:
    labels = {"go-seed": "sieve", "primebench": ARTICLE_ALGORITHM}
    assert footnotes.named("go-seed", labels) == "go-seed §"
    assert footnotes.named("go-seed#aa", labels) == "go-seed#aa §"  # the same program
    assert footnotes.named("primebench", labels) == "primebench"
    assert footnotes.named("unknown", labels) == "unknown"  # not in the document: the article's
    article = results.load(FIXTURE).scenario("article")
    assert article is not None
    assert footnotes.algorithm_notes(article, labels) == ["§ go-seed: sieve."]


def test_single_point_table_marks_from_the_labels_given() -> None:
    article = results.load(FIXTURE).scenario("article")
    assert article is not None
    marked = tables.single_point_table(article, {"node-seed": "a lookup table"})
    assert [row[0] for row in marked.rows] == [
        "node-seed §",
        "go-seed",
        "go-seed#aa",
        "rust-axum",
        "python-seed",
        "primebench",
    ]
    assert "§ node-seed: a lookup table." in marked.notes
    legacy = tables.single_point_table(article)  # no labels: the name-keyed fallback
    assert [row[0] for row in legacy.rows][-1] == "primebench §"
    assert f"§ primebench: {PRIMEBENCH_LEGACY}." in legacy.notes
