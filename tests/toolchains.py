"""What an end-to-end test does when a toolchain or load generator it needs is missing.

On a laptop without Go or Rust, the test skips and says which tool is missing and how to
get it. Under CI (`CI=true`, as GitHub Actions and most CI systems set it) the same
absence fails the test: CI installs everything with scripts/setup, so a missing tool
there is a broken install step, and a skip would hide it.

Load generators (wrk, autocannon, oha) are looked for where the lab itself finds them
(autocannon lives in tools/node_modules, oha in ~/.cargo/bin); every other name (go,
cargo, node, podman, ...) on PATH.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pytest

from primebench.lab.contenders.registry import Contender, availability, default_root
from primebench.lab.run.loadgen import Generator, locate

__all__ = ["Decision", "decide", "in_ci", "missing", "require", "require_under_ci"]

_GENERATORS = {g.value: g for g in Generator}
_TRUE = frozenset({"1", "true", "yes"})


@dataclass(frozen=True)
class Decision:
    """What to do about missing tools: `skip` or `fail`, with the message to show."""

    action: Literal["skip", "fail"]
    reason: str


def in_ci(env: Mapping[str, str]) -> bool:
    """True when `CI` is set to a true value (`true`, `1`, `yes`, any case)."""
    return env.get("CI", "").strip().lower() in _TRUE


def installed(tool: str) -> bool:
    generator = _GENERATORS.get(tool)
    if generator is not None:
        return locate(generator, default_root()) is not None
    return shutil.which(tool) is not None


def missing(tools: Iterable[str]) -> list[str]:
    """The tools, in the order given, that are not installed."""
    return [tool for tool in tools if not installed(tool)]


def decide(absent: list[str], env: Mapping[str, str]) -> Decision | None:
    """The policy, pure: nothing missing -> None; missing -> skip, or fail under CI."""
    if not absent:
        return None
    reason = f"needs {', '.join(absent)}, not installed (scripts/setup installs it)"
    if in_ci(env):
        return Decision("fail", f"{reason}; under CI=true a missing tool is a failed install")
    return Decision("skip", reason)


def _enforce(absent: list[str], *, skip_outside_ci: bool) -> None:
    """Apply the policy: fail under CI; elsewhere skip, or (for `*_under_ci`) carry on."""
    decision = decide(absent, os.environ)
    if decision is None:
        return
    if decision.action == "fail":
        pytest.fail(decision.reason, pytrace=False)
    if skip_outside_ci:
        pytest.skip(decision.reason)


def _unavailable(contenders: Sequence[Contender]) -> list[str]:
    """Availability by the lab's own rule (`contenders.availability`): a toolchain on PATH,
    or a runtime file under the contender's directory (bun-seed's `./node_modules/.bin/bun`),
    so a test cannot disagree with what the bench records as `unavailable`."""
    return [f"{c.name} ({why})" for c in contenders if not (why := availability(c)).available]


def require(*tools: str) -> None:
    """Call first in a test: skip it (fail it under CI) unless every tool is installed."""
    _enforce(missing(tools), skip_outside_ci=True)


def require_under_ci(*tools: str) -> None:
    """Fail under CI unless every tool is installed; elsewhere do nothing.

    For tests that cover a missing tool themselves (the bench records a contender whose
    toolchain is absent as `unavailable`): on a laptop that is a valid outcome to check,
    under CI it would hide a broken install.
    """
    _enforce(missing(tools), skip_outside_ci=False)


def require_contenders(*contenders: Contender) -> None:
    """Call first in a test: skip it (fail it under CI) unless every contender is available."""
    _enforce(_unavailable(contenders), skip_outside_ci=True)


def require_contenders_under_ci(contenders: Sequence[Contender]) -> None:
    """Fail under CI unless every contender is available; elsewhere do nothing."""
    _enforce(_unavailable(contenders), skip_outside_ci=False)
