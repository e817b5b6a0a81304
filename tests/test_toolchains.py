"""The missing-toolchain policy of the end-to-end tests: skip with a reason, fail under CI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests import toolchains

ABSENT = "primebench-no-such-toolchain"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("false", False),
        ("0", False),
        ("", False),
    ],
)
def test_ci_is_recognised_by_its_usual_values(value: str, expected: bool) -> None:
    assert toolchains.in_ci({"CI": value}) is expected


def test_ci_unset_is_not_ci() -> None:
    assert not toolchains.in_ci({})


def test_nothing_missing_means_run() -> None:
    assert toolchains.decide([], {"CI": "true"}) is None
    assert toolchains.decide([], {}) is None


def test_missing_tool_skips_with_its_name_outside_ci() -> None:
    decision = toolchains.decide(["go", "cargo"], {})
    assert decision == toolchains.Decision(
        "skip", "needs go, cargo, not installed (scripts/setup installs it)"
    )


def test_missing_tool_fails_under_ci() -> None:
    decision = toolchains.decide(["oha"], {"CI": "true"})
    assert decision is not None and decision.action == "fail"
    assert decision.reason.startswith("needs oha, not installed")
    assert "CI=true" in decision.reason


def test_missing_finds_path_tools_and_keeps_the_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = tmp_path / "primebench-fake-go"
    tool.write_text("#!/bin/sh\n", encoding="utf-8")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert toolchains.missing(["zz-absent", "primebench-fake-go", "aa-absent"]) == [
        "zz-absent",
        "aa-absent",
    ]


def test_require_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=ABSENT):
        toolchains.require(ABSENT)


def test_require_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=ABSENT):
        toolchains.require(ABSENT)


def test_require_under_ci_is_silent_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    toolchains.require_under_ci(ABSENT)  # returns: the test goes on and checks the absence


def test_require_under_ci_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match=ABSENT):
        toolchains.require_under_ci(ABSENT)


def test_require_passes_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    toolchains.require(sys.executable)  # an absolute path is found by shutil.which
