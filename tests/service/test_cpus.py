"""Limits read from fake cgroup trees (v1, v2, hybrid, none), and the sizes chosen from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from primebench.service.cpus import Limits, cpu_quota, memory_limit, read_limits
from primebench.service.settings import Settings
from primebench.service.sizing import POOL_PROCESS_BYTES, size


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _v2(root: Path, cpu_max: str, memory_max: str = "max", cgroup: str = "/") -> Path:
    directory = "sys/fs/cgroup" + cgroup.rstrip("/")
    return _write(
        root,
        {
            "proc/self/cgroup": f"0::{cgroup}\n",
            "sys/fs/cgroup/cgroup.controllers": "cpu memory\n",
            f"{directory}/cpu.max": cpu_max + "\n",
            f"{directory}/memory.max": memory_max + "\n",
        },
    )


def _v1(root: Path, quota: int, period: int = 100_000, memory: int = 9223372036854771712) -> Path:
    return _write(
        root,
        {
            "proc/self/cgroup": "4:memory:/\n2:cpu,cpuacct:/\n0::/\n",
            "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": f"{quota}\n",
            "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": f"{period}\n",
            "sys/fs/cgroup/memory/memory.limit_in_bytes": f"{memory}\n",
        },
    )


def test_v2_quota_and_memory(tmp_path: Path) -> None:
    root = _v2(tmp_path, "100000 100000", str(512 * 2**20))
    assert cpu_quota(root) == 1.0
    assert memory_limit(root) == 512 * 2**20


def test_v2_unlimited(tmp_path: Path) -> None:
    root = _v2(tmp_path, "max 100000")
    assert cpu_quota(root) is None and memory_limit(root) is None


def test_v2_nested_cgroup_takes_the_lowest_ancestor(tmp_path: Path) -> None:
    root = _v2(tmp_path, "max 100000", cgroup="/kubepods/pod1")
    _write(root, {"sys/fs/cgroup/kubepods/cpu.max": "150000 100000\n"})
    assert cpu_quota(root) == 1.5


def test_v1_quota_as_podman_cpus_1_sets_it(tmp_path: Path) -> None:
    root = _v1(tmp_path, 100_000)
    assert cpu_quota(root) == 1.0
    assert memory_limit(root) is None  # v1's "no limit" is a huge page-rounded number


def test_v1_unlimited_and_a_memory_limit(tmp_path: Path) -> None:
    root = _v1(tmp_path, -1, memory=2**30)
    assert cpu_quota(root) is None and memory_limit(root) == 2**30


def test_no_cgroup_files_means_no_limit(tmp_path: Path) -> None:
    assert read_limits(tmp_path, affinity=4) == Limits(4, None, None)


def test_garbage_is_no_limit(tmp_path: Path) -> None:
    root = _v2(tmp_path, "lots 0", "a lot")
    assert cpu_quota(root) is None and memory_limit(root) is None


@pytest.mark.parametrize(
    ("affinity", "quota", "cpu_limit", "whole"),
    [
        (2, None, 2.0, 2),
        (2, 1.0, 1.0, 1),
        (4, 1.5, 1.5, 1),
        (2, 0.5, 0.5, 1),
        (2, 8.0, 2.0, 2),
        (8, 2.5, 2.5, 2),
    ],
)
def test_the_lower_of_affinity_and_quota_rounded_down(
    affinity: int, quota: float | None, cpu_limit: float, whole: int
) -> None:
    limits = Limits(affinity, quota, None)
    assert limits.cpu_limit == cpu_limit and limits.whole_cpus == whole


def test_sizing_under_a_one_cpu_quota_on_a_two_core_node() -> None:
    sizing = size(Settings(), Limits(2, 1.0, None))
    assert (sizing.workers, sizing.pool_processes, sizing.compute_threads) == (1, 1, 1)
    assert sizing.cpu_limit == 1.0


def test_sizing_divides_threads_among_all_pool_processes() -> None:
    assert size(Settings(), Limits(8, None, None)).compute_threads == 1  # 8 workers x 1 process
    sizing = size(Settings(workers=1, pool_size=2), Limits(8, None, None))
    assert (sizing.workers, sizing.pool_processes, sizing.compute_threads) == (1, 2, 4)


def test_settings_win_over_limits() -> None:
    sizing = size(Settings(workers=3, pool_size=2, compute_threads=5), Limits(1, 0.5, 2**20))
    assert (sizing.workers, sizing.pool_processes, sizing.compute_threads) == (3, 2, 5)


def test_memory_limit_lowers_the_pool_not_below_one() -> None:
    roomy = size(Settings(workers=1), Limits(8, None, 64 * POOL_PROCESS_BYTES))
    tight = size(Settings(workers=1), Limits(8, None, 4 * POOL_PROCESS_BYTES))
    starved = size(Settings(workers=1), Limits(8, None, 2**20))
    assert (roomy.pool_processes, tight.pool_processes, starved.pool_processes) == (8, 2, 1)
    assert "memory limit 512 MiB" in tight.describe()
