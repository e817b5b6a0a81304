"""processes: pinned from the first instruction; one shutdown helper takes down a whole group."""

from __future__ import annotations

import os
import signal
import time

import pytest

from primebench.lab.host import processes
from tests.lab.host.children import gone, spawn_child

pytestmark = pytest.mark.usefixtures("no_leftover_children")


def test_pinning_is_a_taskset_prefix() -> None:
    assert processes._pinned(["tool", "-x"], None) == ["tool", "-x"]
    assert processes._pinned(["tool"], frozenset()) == ["tool"]
    assert processes._pinned(["tool"], frozenset({3, 0, 1})) == ["taskset", "-c", "0,1,3", "tool"]


def test_terminate_group_is_quick_when_sigterm_is_obeyed() -> None:
    popen, _ = spawn_child()
    started = time.monotonic()
    processes.terminate_group(popen.pid, processes.popen_waiter(popen), grace_s=5.0)
    assert time.monotonic() - started < 2.5
    assert popen.returncode == -signal.SIGTERM


def test_terminate_group_kills_what_ignores_sigterm_after_the_grace() -> None:
    popen, (grandchild,) = spawn_child("--stubborn", "--escaped")
    assert os.getpgid(grandchild) != popen.pid  # left the group: found as a descendant
    started = time.monotonic()
    processes.terminate_group(popen.pid, processes.popen_waiter(popen), grace_s=0.5)
    assert 0.5 <= time.monotonic() - started < 5
    assert popen.returncode == -signal.SIGKILL
    assert gone([popen.pid, grandchild])


def test_terminate_group_after_the_leader_died_takes_the_orphans_in_its_group() -> None:
    popen, (grandchild,) = spawn_child("--grandchild")
    os.kill(popen.pid, signal.SIGKILL)
    popen.wait(10)
    assert not gone([grandchild]) and os.getpgid(grandchild) == popen.pid
    processes.terminate_group(popen.pid, processes.popen_waiter(popen), grace_s=0.5)
    assert gone([grandchild])
