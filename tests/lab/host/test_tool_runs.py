"""tool_runs: a tool's output, exit code and CPU time; its whole group killed at its deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from primebench.lab.host import processes, tool_runs
from tests.lab.host.children import gone, spawn_child

pytestmark = pytest.mark.usefixtures("no_leftover_children")


def test_run_tool_reports_output_returncode_and_cpu() -> None:
    code = (
        "import sys,time\nend=time.process_time()+0.2\n"
        "while time.process_time()<end: pass\nprint('out'); sys.exit(4)"
    )
    run = tool_runs.run_tool([sys.executable, "-c", code], cpus=None, timeout_s=30)
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
    run = tool_runs.run_tool([sys.executable, "-c", code], cpus=None, timeout_s=1.0)
    assert run.timed_out and not run.ok
    assert time.monotonic() - started < 10
    assert gone([int(pidfile.read_text())])


def test_run_tool_is_pinned() -> None:
    cpu = min(os.sched_getaffinity(0))
    run = tool_runs.run_tool(
        [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
        cpus=frozenset({cpu}),
        timeout_s=30,
    )
    assert run.stdout.strip() == f"[{cpu}]"


def test_reaper_gives_exit_code_and_cpu_time() -> None:
    code = (
        "import time,sys\nend=time.process_time()+0.2\n"
        "while time.process_time()<end: pass\nsys.exit(3)"
    )
    popen = subprocess.Popen([sys.executable, "-c", code])
    reaper = tool_runs.Reaper(popen.pid)
    assert reaper.wait(30)
    popen.returncode = reaper.reaped.returncode  # reaped by wait4, not by Popen
    assert reaper.reaped.returncode == 3
    assert 0.15 <= reaper.reaped.cpu_s < 5


def test_reaper_result_only_after_the_child_is_reaped() -> None:
    popen, _ = spawn_child()
    reaper = tool_runs.Reaper(popen.pid)
    assert not reaper.wait(0.05)
    with pytest.raises(RuntimeError, match="not been reaped"):
        _ = reaper.reaped
    os.kill(popen.pid, signal.SIGKILL)
    assert reaper.wait(10)
    popen.returncode = reaper.reaped.returncode
    assert reaper.reaped == tool_runs.Reaped(returncode=-signal.SIGKILL, cpu_s=reaper.reaped.cpu_s)


def test_run_tool_kills_a_tool_that_ignores_sigterm() -> None:
    code = "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
    started = time.monotonic()
    run = tool_runs.run_tool([sys.executable, "-c", code], cpus=None, timeout_s=0.5)
    assert run.timed_out and run.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 0.5 + processes.STOP_GRACE_S + 3
