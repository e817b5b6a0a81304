"""`primebench compare`: ratios after/before, noise reported as 'same'."""

from __future__ import annotations

import dataclasses

from primebench.lab.model import results
from primebench.lab.model.stats import Summary
from primebench.lab.pages import changes
from tests.lab.golden_util import FIXTURE


def test_same_document_has_no_change() -> None:
    doc = results.load(FIXTURE)
    found = changes.changes(doc, doc)
    assert found
    assert {c.verdict() for c in found} == {"same"}
    assert all(c.ratio == 1.0 for c in found)


def test_change_beyond_the_ranges_is_reported_with_direction() -> None:
    before = Summary(100.0, 1.0, 0.01, 99.0, 101.0, 3, False)
    faster = dataclasses.replace(before, median=150.0, minimum=148.0, maximum=152.0)
    change = changes.Change("article", "go-seed", "n=20000", "req_per_s", before, faster, False)
    assert change.ratio == 1.5
    assert change.verdict() == "better"
    slower_p99 = changes.Change(
        "article", "go-seed", "n=20000", "latency_p99_ms", before, faster, False
    )
    assert slower_p99.verdict() == "worse"
    # Ranges that overlap are no change, however far apart the medians are.
    wide = dataclasses.replace(before, minimum=60.0, maximum=160.0)
    assert changes.Change("a", "b", "c", "req_per_s", wide, faster, False).verdict() == "same"
    # Ranges apart but within 2 %: no change either.
    close = dataclasses.replace(before, median=101.5, minimum=101.2, maximum=101.8)
    assert changes.Change("a", "b", "c", "req_per_s", before, close, False).verdict() == "same"


def test_render_lists_ratios() -> None:
    doc = results.load(FIXTURE)
    text = changes.render(doc, doc)
    row = "| article | node-seed | n=20000 | req_per_s | 55.0 (54.0–56.0) | 55.0 (54.0–56.0) |"
    assert row + " 1.00x | same |" in text
