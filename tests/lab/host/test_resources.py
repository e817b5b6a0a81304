"""resources: how the cores are split between the server and the load generator, the
cores for a point that has its own server core count (the cores scenario), and each
process of a server's tree apart (the soak)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from primebench.errors import UserError
from primebench.lab.host import resources
from primebench.lab.host.resources import cores_pinning


def test_cpu_split_defaults_and_override() -> None:
    assert resources.cpu_split(frozenset({0, 1})) == resources.Pinning(
        frozenset({0}), frozenset({1}), shared=False
    )
    assert resources.cpu_split(frozenset({0, 1, 2, 3}), server_cores=1).generator == frozenset(
        {1, 2, 3}
    )
    assert resources.cpu_split(frozenset({5})).shared
    with pytest.raises(ValueError, match="server_cores"):
        resources.cpu_split(frozenset({0, 1}), server_cores=2)


def test_cores_pinning_shares_only_when_no_core_is_left() -> None:
    one = cores_pinning(1, frozenset({0, 1}))
    two = cores_pinning(2, frozenset({0, 1}))
    assert (one.server, one.generator, one.shared) == (frozenset({0}), frozenset({1}), False)
    assert (two.server, two.generator, two.shared) == (frozenset({0, 1}), frozenset({0, 1}), True)
    three = cores_pinning(3, frozenset({0, 1, 2, 3}))
    assert (three.server, three.generator) == (frozenset({0, 1, 2}), frozenset({3}))


def test_cores_pinning_takes_the_lowest_usable_cores() -> None:
    pinned = cores_pinning(2, frozenset({3, 5, 7}))
    assert (pinned.server, pinned.generator) == (frozenset({3, 5}), frozenset({7}))


@pytest.mark.parametrize("count", [0, 3])
def test_cores_pinning_refuses_counts_the_machine_does_not_give(count: int) -> None:
    with pytest.raises(UserError, match=rf"--server-cores {count}: this machine gives 1..2 cores"):
        cores_pinning(count, frozenset({0, 1}))


# A server-shaped tree: a worker (a plain child), and a forkserver pool of one process
# with multiprocessing's helpers (resource tracker, forkserver), as granian + pebble make.
TREE = """
import multiprocessing, subprocess, sys, time
if __name__ == "__main__":
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    pool = multiprocessing.get_context("forkserver").Pool(1)
    pool.apply(abs, (-1,))
    print(worker.pid, flush=True)
    time.sleep(600)
"""


def test_process_memory_names_every_process_of_the_tree_by_role(tmp_path: Path) -> None:
    script = tmp_path / "tree.py"
    script.write_text(TREE, encoding="utf-8")
    popen = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert popen.stdout is not None
        worker = int(popen.stdout.readline())
        popen.stdout.close()  # it prints nothing more
        found = resources.process_memory(popen.pid)
        by_pid = {p.pid: p for p in found}
        assert (by_pid[popen.pid].role, by_pid[popen.pid].parent) == ("main", None)
        assert (by_pid[worker].role, by_pid[worker].parent) == ("worker", popen.pid)
        helpers = [p for p in found if p.role == "helper"]
        pools = [p for p in found if p.role == "pool"]
        assert len(helpers) == 2 and all(p.parent == popen.pid for p in helpers)
        assert len(pools) == 1 and pools[0].parent in {h.pid for h in helpers}
        assert all(p.rss_bytes > 1024 * 1024 for p in found)
    finally:
        os.killpg(popen.pid, signal.SIGKILL)
        popen.wait()
    assert resources.process_memory(popen.pid) == ()  # gone: nothing to read
