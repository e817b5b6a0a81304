"""memory_slope: windows read back from a soak's points, slopes per process, the flag."""

from __future__ import annotations

import dataclasses

import pytest

from primebench.lab.model import memory_slope as ms
from primebench.lab.model.process_records import ProcessMemory
from primebench.lab.model.results import ContenderRun, PointRecord
from tests.lab.fixtures.make_results import ok, point, run

MIB = 1024 * 1024


def window(
    i: int, processes: tuple[ProcessMemory, ...], *, warmup: bool = False, rps: float = 1000.0
) -> PointRecord:
    """Window i of 10 s at `rps` (so 10 * rps requests: the fixture's 10 s load)."""
    trial = dataclasses.replace(run(0, rps, 1.0, 5.0, tool="oha"), processes=processes)
    params: dict[str, object] = {"window": i, "end_s": 10.0 * (i + 1), "warmup": warmup}
    return point(f"window={i + 1:04d}", params, [trial])


def soak(*points: PointRecord) -> ContenderRun:
    return ok("primebench", 1.0, list(points))


def tree(i: int, worker_mib: float, *, main_mib: float = 30.0) -> tuple[ProcessMemory, ...]:
    return (
        ProcessMemory(100, None, "main", int(main_mib * MIB)),
        ProcessMemory(101, 100, "worker", int(worker_mib * MIB)),
    )


def test_windows_accumulate_requests_and_keep_each_process() -> None:
    found = ms.windows(soak(window(0, tree(0, 40.0), warmup=True), window(1, tree(1, 41.0))))
    assert [(w.index, w.end_s, w.warmup, w.requests, w.cumulative) for w in found] == [
        (0, 10.0, True, 10000, 10000),
        (1, 20.0, False, 10000, 20000),
    ]
    assert found[1].rss_of("worker") == 41 * MIB and found[1].rss_of("pool") == 0
    assert (found[1].req_per_s, found[1].p99_ms, found[1].errors) == (1000.0, 5.0, 0)


def test_a_worker_growing_one_mib_per_ten_thousand_requests_is_flagged_the_main_is_not() -> None:
    """10,000 requests per window; the worker +1 MiB per window after a warm-up jump of 50."""
    points = [window(0, tree(0, 10.0), warmup=True)]
    points += [window(i, tree(i, 60.0 + (i - 1))) for i in range(1, 6)]
    slopes = {(s.role, s.pid): s for s in ms.memory_slopes("primebench", ms.windows(soak(*points)))}
    worker, main, whole = slopes["worker", 101], slopes["main", 100], slopes["all", None]
    assert (worker.samples, worker.first_mib, worker.last_mib) == (5, 60.0, 64.0)
    assert worker.slope == pytest.approx(1.0) and worker.flagged
    assert worker.low == pytest.approx(1.0) and worker.high == pytest.approx(1.0)
    assert main.slope == 0.0 and not main.flagged
    assert whole.slope == pytest.approx(1.0) and whole.flagged  # the warm-up jump is left out


def test_the_flag_is_above_half_a_mib_and_one_outlying_window_does_not_move_the_slope() -> None:
    growth = [0.0, 0.4, 0.8, 1.2, 20.0, 2.0, 2.4]  # +0.4 MiB per 10,000, one spike
    points = [window(i, tree(i, 50.0 + g)) for i, g in enumerate(growth)]
    (worker,) = [s for s in ms.memory_slopes("x", ms.windows(soak(*points))) if s.pid == 101]
    assert worker.slope == pytest.approx(0.4) and not worker.flagged


def test_a_replaced_process_is_a_new_series_and_too_few_windows_give_no_slope() -> None:
    before = (ProcessMemory(100, None, "main", 30 * MIB), ProcessMemory(7, 100, "pool", 20 * MIB))
    after = (ProcessMemory(100, None, "main", 30 * MIB), ProcessMemory(8, 100, "pool", 21 * MIB))
    points = [window(0, before), window(1, before), window(2, after), window(3, after)]
    slopes = {s.pid: s for s in ms.memory_slopes("x", ms.windows(soak(*points)))}
    assert (slopes[7].samples, slopes[7].slope, slopes[7].flagged) == (2, None, False)
    assert (slopes[8].samples, slopes[8].slope) == (2, None)
    assert slopes[100].slope == 0.0 and slopes[None].samples == 4
