"""procs: servers and tools start pinned, become ready by probing, and leave nothing behind."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import psutil
import pytest

from primebench.lab import http, procs

FAKE = str(Path(__file__).with_name("fake_server.py"))


def ready(status: int, body: bytes) -> bool:
    return status == 200 and json.loads(body).get("prime") == 2


def start(
    *args: str, cpus: frozenset[int] | None = None, deadline_s: float = 15.0
) -> AbstractContextManager[procs.RunningServer]:
    port = procs.free_port()
    return procs.server(
        [sys.executable, FAKE, *args],
        cwd=Path(FAKE).parent,
        env={**os.environ, "HOST": "127.0.0.1", "PORT": str(port)},
        host="127.0.0.1",
        port=port,
        cpus=cpus,
        ready_path="/prime?n=1",
        ready_check=ready,
        deadline_s=deadline_s,
    )


def gone(pids: list[int]) -> bool:
    """True when none of the pids is a live process (zombies of others' children count as gone)."""
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            pass
    return True


def test_cpu_split_defaults_and_override() -> None:
    assert procs.cpu_split(frozenset({0, 1})) == procs.Pinning(
        frozenset({0}), frozenset({1}), shared=False
    )
    assert procs.cpu_split(frozenset({0, 1, 2, 3}), server_cores=1).generator == frozenset(
        {1, 2, 3}
    )
    assert procs.cpu_split(frozenset({5})).shared
    with pytest.raises(ValueError, match="server_cores"):
        procs.cpu_split(frozenset({0, 1}), server_cores=2)


def test_free_port_is_bindable() -> None:
    port = procs.free_port()
    assert 1024 <= port <= 65535


def test_run_tool_reports_output_returncode_and_cpu() -> None:
    code = "import sys,time\nend=time.process_time()+0.2\nwhile time.process_time()<end: pass\nprint('out'); sys.exit(4)"
    run = procs.run_tool([sys.executable, "-c", code], cpus=None, timeout_s=30)
    assert (run.returncode, run.stdout.strip(), run.timed_out, run.ok) == (4, "out", False, False)
    assert run.cpu_s >= 0.15


def test_run_tool_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    code = (
        "import subprocess,sys,time\n"
        f"c=subprocess.Popen([sys.executable,'-c','import time; time.sleep(600)'])\n"
        f"open({str(pidfile)!r},'w').write(str(c.pid))\ntime.sleep(600)"
    )
    started = time.monotonic()
    run = procs.run_tool([sys.executable, "-c", code], cpus=None, timeout_s=1.0)
    assert run.timed_out and not run.ok
    assert time.monotonic() - started < 10
    assert gone([int(pidfile.read_text())])


def test_run_tool_is_pinned() -> None:
    cpu = min(os.sched_getaffinity(0))
    run = procs.run_tool(
        [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
        cpus=frozenset({cpu}),
        timeout_s=30,
    )
    assert run.stdout.strip() == f"[{cpu}]"


def test_server_ready_pinned_sampled_then_no_orphans() -> None:
    cpu = min(os.sched_getaffinity(0))
    with start("serve", "--child", cpus=frozenset({cpu})) as running:
        assert 0 < running.startup_s < 15
        tree = running.tree()
        assert len(tree) == 2
        assert all(p.cpu_affinity() == [cpu] for p in tree)
        with running.resource_sampler() as meter:
            assert http.get(running.host, running.port, "/burn").status == 200
        assert meter.usage.cpu_s >= 0.2
        assert meter.usage.peak_rss_bytes > 1_000_000
        pids = [p.pid for p in tree]
    assert gone(pids)


def test_server_that_crashed_leaves_no_orphan() -> None:
    with start("serve", "--child") as running:
        pids = [p.pid for p in running.tree()]
        with pytest.raises(http.ProbeFailed):
            http.get(running.host, running.port, "/crash")
        deadline = time.monotonic() + 5
        while running.alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not running.alive()
        assert not gone(pids)  # the orphaned child is still running here
    assert gone(pids)


def test_interrupt_inside_the_block_still_cleans_up() -> None:
    pids: list[int] = []
    with pytest.raises(KeyboardInterrupt), start("serve", "--child") as running:
        pids = [p.pid for p in running.tree()]
        raise KeyboardInterrupt
    assert pids and gone(pids)


def test_server_exiting_before_ready_fails_with_its_output() -> None:
    with pytest.raises(procs.ServerFailed, match="exited with code 3") as info, start("exit"):
        pass
    assert "failing on purpose" in info.value.stderr_tail


def test_server_missing_its_deadline_fails_and_is_killed() -> None:
    started = time.monotonic()
    with (
        pytest.raises(procs.ServerFailed, match="not ready within 1 s"),
        start("never", deadline_s=1.0),
    ):
        pass
    assert time.monotonic() - started < 10


@pytest.fixture(autouse=True)
def _no_leftover_children() -> Iterator[None]:
    yield
    leftovers = [
        p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE
    ]
    assert not leftovers, f"processes left behind: {leftovers}"
