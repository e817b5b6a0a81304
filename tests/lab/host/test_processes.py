"""procs: servers and tools start pinned, become ready by probing, and leave nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import psutil
import pytest

from primebench.lab.host import loopback, processes

FAKE = str(Path(__file__).parents[1] / "fake_server.py")


def ready(status: int, body: bytes) -> bool:
    return status == 200 and json.loads(body).get("prime") == 2


def start(
    *args: str, cpus: frozenset[int] | None = None, deadline_s: float = 15.0
) -> AbstractContextManager[processes.RunningServer]:
    port = processes.free_port()
    return processes.server(
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
    assert processes.cpu_split(frozenset({0, 1})) == processes.Pinning(
        frozenset({0}), frozenset({1}), shared=False
    )
    assert processes.cpu_split(frozenset({0, 1, 2, 3}), server_cores=1).generator == frozenset(
        {1, 2, 3}
    )
    assert processes.cpu_split(frozenset({5})).shared
    with pytest.raises(ValueError, match="server_cores"):
        processes.cpu_split(frozenset({0, 1}), server_cores=2)


def test_free_port_is_bindable() -> None:
    port = processes.free_port()
    assert 1024 <= port <= 65535


def test_run_tool_reports_output_returncode_and_cpu() -> None:
    code = (
        "import sys,time\nend=time.process_time()+0.2\n"
        "while time.process_time()<end: pass\nprint('out'); sys.exit(4)"
    )
    run = processes.run_tool([sys.executable, "-c", code], cpus=None, timeout_s=30)
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
    run = processes.run_tool([sys.executable, "-c", code], cpus=None, timeout_s=1.0)
    assert run.timed_out and not run.ok
    assert time.monotonic() - started < 10
    assert gone([int(pidfile.read_text())])


def test_run_tool_is_pinned() -> None:
    cpu = min(os.sched_getaffinity(0))
    run = processes.run_tool(
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
            assert loopback.get(running.host, running.port, "/burn").status == 200
        assert meter.usage.cpu_s >= 0.2
        assert meter.usage.peak_rss_bytes > 1_000_000
        pids = [p.pid for p in tree]
    assert gone(pids)


def test_server_that_crashed_leaves_no_orphan() -> None:
    with start("serve", "--child") as running:
        pids = [p.pid for p in running.tree()]
        with pytest.raises(loopback.ProbeFailed):
            loopback.get(running.host, running.port, "/crash")
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
    with pytest.raises(processes.ServerFailed, match="exited with code 3") as info, start("exit"):
        pass
    assert "failing on purpose" in info.value.stderr_tail


def test_server_missing_its_deadline_fails_and_is_killed() -> None:
    started = time.monotonic()
    with (
        pytest.raises(processes.ServerFailed, match="not ready within 1 s"),
        start("never", deadline_s=1.0),
    ):
        pass
    assert time.monotonic() - started < 10


# --- the pieces: pinning, the reaper, the shutdown helper ------------------------

# Says "ready" on stdout once its handlers are in place, then sleeps. `--stubborn`: it
# ignores SIGTERM. `--grandchild` / `--escaped`: it first starts a grandchild that ignores
# SIGTERM, in its own group / in a new session (out of the group), and prints its pid.
CHILD = """
import signal, subprocess, sys, time
if "--stubborn" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if "--grandchild" in sys.argv or "--escaped" in sys.argv:
    code = ("import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(600)")
    g = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                         start_new_session="--escaped" in sys.argv)
    g.stdout.readline()
    print(g.pid, flush=True)
print("ready", flush=True)
time.sleep(600)
"""


def spawn_child(*flags: str) -> tuple[subprocess.Popen[str], list[int]]:
    """A group leader (new session) that is ready to be signalled, and its grandchildren."""
    popen = subprocess.Popen(
        [sys.executable, "-c", CHILD, *flags],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert popen.stdout is not None
    lines = [popen.stdout.readline().strip()]
    while lines[-1] != "ready":
        lines.append(popen.stdout.readline().strip())
    popen.stdout.close()  # it prints nothing after "ready"
    return popen, [int(line) for line in lines[:-1]]


def waiter(popen: subprocess.Popen[str]) -> Callable[[float | None], bool]:
    def wait(timeout_s: float | None) -> bool:
        try:
            popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    return wait


def test_pinning_is_a_taskset_prefix() -> None:
    assert processes._pinned(["tool", "-x"], None) == ["tool", "-x"]
    assert processes._pinned(["tool"], frozenset()) == ["tool"]
    assert processes._pinned(["tool"], frozenset({3, 0, 1})) == ["taskset", "-c", "0,1,3", "tool"]


def test_reaper_gives_exit_code_and_cpu_time() -> None:
    code = (
        "import time,sys\nend=time.process_time()+0.2\n"
        "while time.process_time()<end: pass\nsys.exit(3)"
    )
    popen = subprocess.Popen([sys.executable, "-c", code])
    reaper = processes.Reaper(popen.pid)
    assert reaper.wait(30)
    popen.returncode = reaper.reaped.returncode  # reaped by wait4, not by Popen
    assert reaper.reaped.returncode == 3
    assert 0.15 <= reaper.reaped.cpu_s < 5


def test_reaper_result_only_after_the_child_is_reaped() -> None:
    popen, _ = spawn_child()
    reaper = processes.Reaper(popen.pid)
    assert not reaper.wait(0.05)
    with pytest.raises(RuntimeError, match="not been reaped"):
        _ = reaper.reaped
    os.kill(popen.pid, signal.SIGKILL)
    assert reaper.wait(10)
    popen.returncode = reaper.reaped.returncode
    assert reaper.reaped == processes.Reaped(returncode=-signal.SIGKILL, cpu_s=reaper.reaped.cpu_s)


def test_terminate_group_is_quick_when_sigterm_is_obeyed() -> None:
    popen, _ = spawn_child()
    started = time.monotonic()
    processes.terminate_group(popen.pid, waiter(popen), grace_s=5.0)
    assert time.monotonic() - started < 2.5
    assert popen.returncode == -signal.SIGTERM


def test_terminate_group_kills_what_ignores_sigterm_after_the_grace() -> None:
    popen, (grandchild,) = spawn_child("--stubborn", "--escaped")
    assert os.getpgid(grandchild) != popen.pid  # left the group: found as a descendant
    started = time.monotonic()
    processes.terminate_group(popen.pid, waiter(popen), grace_s=0.5)
    assert 0.5 <= time.monotonic() - started < 5
    assert popen.returncode == -signal.SIGKILL
    assert gone([popen.pid, grandchild])


def test_terminate_group_after_the_leader_died_takes_the_orphans_in_its_group() -> None:
    popen, (grandchild,) = spawn_child("--grandchild")
    os.kill(popen.pid, signal.SIGKILL)
    popen.wait(10)
    assert not gone([grandchild]) and os.getpgid(grandchild) == popen.pid
    processes.terminate_group(popen.pid, waiter(popen), grace_s=0.5)
    assert gone([grandchild])


def test_run_tool_kills_a_tool_that_ignores_sigterm() -> None:
    code = "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
    started = time.monotonic()
    run = processes.run_tool([sys.executable, "-c", code], cpus=None, timeout_s=0.5)
    assert run.timed_out and run.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 0.5 + processes.STOP_GRACE_S + 3


@pytest.fixture(autouse=True)
def _no_leftover_children() -> Iterator[None]:
    yield
    leftovers = [
        p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE
    ]
    assert not leftovers, f"processes left behind: {leftovers}"
