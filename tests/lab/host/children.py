"""Helpers for the process tests: children to signal, and a check that none is left."""

from __future__ import annotations

import subprocess
import sys

import psutil


def gone(pids: list[int]) -> bool:
    """True when none of the pids is a live process (zombies of others' children count as gone)."""
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            pass
    return True


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
