"""Disturbance from /proc/stat: exact arithmetic on fabricated files, and one real busy loop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from primebench.lab.host import disturbance
from primebench.lab.host.disturbance import CpuSample, Disturbance
from primebench.lab.model import codec

#        user nice system idle iowait irq softirq steal guest guest_nice
BEFORE = """cpu  900 0 300 5000 10 0 0 40 0 0
cpu0 400 0 100 2500 5 0 0 20 7 0
cpu1 500 0 200 2500 5 0 0 20 0 0
intr 12345 0 0
ctxt 999
"""
# Over 2 s of wall time: cpu0 busy +60 ticks (40 user, 10 system, 5 irq, 5 softirq),
# steal +30; cpu1 busy +150, steal +10. guest +50 on cpu0 is already inside user.
AFTER = """cpu  1110 0 310 5100 10 5 5 80 50 0
cpu0 440 0 110 2600 5 5 5 50 57 0
cpu1 650 0 200 2510 5 0 0 30 0 0
intr 22345 0 0
"""


def _sample(text: str, at: float) -> CpuSample:
    return disturbance.parse(text, at, 100)


def test_parse_per_cpu_seconds() -> None:
    s = _sample(BEFORE, 10.0)
    assert sorted(s.cpus) == [0, 1]
    cpu0 = s.cpus[0]
    assert cpu0.busy_s == pytest.approx(5.0)  # (400 + 100) / 100
    assert cpu0.steal_s == pytest.approx(0.2)
    assert cpu0.total_s == pytest.approx(30.25)  # (500 + 2500 + 5 + 20) / 100


def test_sample_reads_a_file_in_clock_ticks(tmp_path: Path) -> None:
    path = tmp_path / "stat"
    path.write_text(BEFORE)
    tick = 1.0 / os.sysconf("SC_CLK_TCK")
    s = disturbance.sample(path)
    assert s.cpus[1].busy_s == pytest.approx(700 * tick)
    assert s.cpus[1].steal_s == pytest.approx(20 * tick)


def test_between_on_one_core() -> None:
    d = disturbance.between(_sample(BEFORE, 10.0), _sample(AFTER, 12.0), [0], own_cpu_s=0.2)
    assert d.cpus == (0,)
    assert d.wall_s == pytest.approx(2.0)
    assert d.busy_s == pytest.approx(0.6)
    assert d.steal_s == pytest.approx(0.3)
    assert d.own_s == 0.2
    assert d.others_s == pytest.approx(0.4)
    assert d.steal_share == pytest.approx(0.15)  # 0.3 / 2
    assert d.others_share == pytest.approx(0.2)  # 0.4 / 2
    assert d.disturbed()
    assert not d.disturbed(threshold=0.25)


def test_between_on_two_cores_and_own_time_beyond_busy() -> None:
    before, after = _sample(BEFORE, 10.0), _sample(AFTER, 12.0)
    d = disturbance.between(before, after, {1, 0}, own_cpu_s=2.5)
    assert d.cpus == (0, 1)
    assert d.busy_s == pytest.approx(2.1)  # 0.6 + 1.5
    assert d.steal_s == pytest.approx(0.4)
    assert d.others_s == 0.0  # own time exceeds busy (tick rounding): never negative
    assert d.steal_share == pytest.approx(0.1)  # 0.4 / (2 s * 2 cores)
    assert not d.disturbed()  # exactly at the threshold is not beyond it
    quiet = disturbance.between(before, after, [1], own_cpu_s=1.5)
    assert quiet.others_s == pytest.approx(0.0, abs=1e-9)
    assert quiet.steal_share == pytest.approx(0.05)
    assert not quiet.disturbed()


def test_bad_inputs_are_refused() -> None:
    before, after = _sample(BEFORE, 10.0), _sample(AFTER, 12.0)
    with pytest.raises(ValueError, match="no CPUs"):
        disturbance.between(before, after, [], own_cpu_s=0)
    with pytest.raises(ValueError, match=r"\[7\]"):
        disturbance.between(before, after, [0, 7], own_cpu_s=0)
    with pytest.raises(ValueError, match="later"):
        disturbance.between(after, before, [0], own_cpu_s=0)
    with pytest.raises(ValueError, match="fields"):
        disturbance.parse("cpu0 1 2 3\n", 0.0, 100)
    with pytest.raises(ValueError, match="no per-CPU"):
        disturbance.parse("cpu 1 2 3 4 5 6 7 8\n", 0.0, 100)


def test_json_round_trip() -> None:
    """Through the results model's codec, as a trial's record writes and reads it."""
    d = disturbance.between(_sample(BEFORE, 10.0), _sample(AFTER, 12.0), [0, 1], own_cpu_s=1)
    assert codec.parse(Disturbance, json.loads(json.dumps(codec.dump(d)))) == d


_BUSY_LOOP = """
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
start = time.process_time()
end = time.monotonic() + 0.5
while time.monotonic() < end:
    pass
print(time.process_time() - start)
"""


def test_a_pinned_busy_loop_shows_up_as_others_cpu() -> None:
    core = max(os.sched_getaffinity(0))
    before = disturbance.sample()
    child = subprocess.run(
        [sys.executable, "-c", _BUSY_LOOP, str(core)], capture_output=True, text=True, check=True
    )
    after = disturbance.sample()
    loop_cpu_s = float(child.stdout)
    assert loop_cpu_s > 0.02, "the busy loop got almost no CPU: cannot tell anything"
    tick = 1.0 / os.sysconf("SC_CLK_TCK")
    uncounted = disturbance.between(before, after, [core], own_cpu_s=0.0)
    # Its CPU went to that core: other processes' time there is at least the loop's own
    # (less a couple of clock ticks of accounting granularity).
    assert uncounted.others_s >= loop_cpu_s - 2 * tick
    assert uncounted.others_share > 0
    counted = disturbance.between(before, after, [core], own_cpu_s=loop_cpu_s)
    assert counted.others_s == pytest.approx(max(0.0, uncounted.others_s - loop_cpu_s))
