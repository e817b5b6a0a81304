"""launch: a contender's server is ready at its first correct answer, not an open port."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psutil
import pytest

from primebench.lab.contenders import launch
from primebench.lab.contenders.launch import ready_check
from primebench.lab.contenders.registry import Registry
from primebench.lab.host import loopback


def test_ready_check() -> None:
    assert ready_check(200, b'{"n":1,"prime":2}')
    assert not ready_check(200, b'{"n":1,"prime":3}')
    assert not ready_check(503, b'{"prime":2}')
    assert not ready_check(200, b"starting")
    assert not ready_check(200, b"[2]")  # JSON, but not an answer


def test_a_wrong_prime_is_a_wrong_answer_and_not_yet_ready_is_not() -> None:
    assert launch.wrong_answer(200, b'{"n":1,"prime":3}') == (
        'wrong answer: n=1 answered \'{"n":1,"prime":3}\', expected prime 2'
    )
    assert launch.wrong_answer(200, b'{"n":1,"prime":2}') == ""  # right
    assert launch.wrong_answer(503, b'{"prime":3}') == ""  # starting: wait
    assert launch.wrong_answer(200, b"starting") == ""  # not JSON: wait for the deadline
    assert launch.wrong_answer(200, b"[3]") == ""  # JSON, but no answer


@pytest.mark.e2e
def test_start_runs_the_manifest_on_the_given_cores_and_stops_it(tmp_path: Path) -> None:
    """The python-seed twin from its manifest: pinned, answering, gone after the block."""
    twin = Registry.load().get("python-seed")
    cpu = min(os.sched_getaffinity(0))
    with launch.start(twin, cpus=frozenset({cpu}), log=tmp_path / "server.log") as running:
        answer = loopback.get("127.0.0.1", running.port, "/prime?n=10", timeout_s=10)
        assert (answer.status, json.loads(answer.body)) == (200, {"n": 10, "prime": 29})
        assert running.startup_s > 0
        assert os.sched_getaffinity(running.pid) == {cpu}
        pid = running.pid
    assert not psutil.pid_exists(pid)
