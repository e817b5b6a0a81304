"""`primebench compare`: two documents with nothing in common are an error, not "no change"."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from primebench.cli import main
from primebench.lab.model import results
from tests.lab.golden_util import FIXTURE


def test_documents_with_nothing_in_common_exit_1_naming_what_each_measured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = results.load(FIXTURE)
    only_sweep = dataclasses.replace(doc, scenarios=(doc.scenario("sweep"),))
    only_convoy = dataclasses.replace(doc, scenarios=(doc.scenario("convoy"),))
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    results.save(only_sweep, before)
    results.save(only_convoy, after)

    assert main(["compare", str(before), str(after)]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("primebench: error: nothing to compare: no scenario, contender ")
    assert f"{before} (sweep: go-seed)" in captured.err
    assert f"{after} (convoy: node-seed)" in captured.err


def test_documents_with_a_point_in_common_are_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", str(FIXTURE), str(FIXTURE)]) == 0
    assert "| sweep | go-seed | n=1 | req_per_s |" in capsys.readouterr().out
