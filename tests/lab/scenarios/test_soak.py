"""The soak: a capacity probe of the mix, then one open-loop window after another; its
tables (windows, memory slopes with the flag) and chart from synthetic windows."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import Any

import pytest

from primebench.errors import UserError
from primebench.lab.model.generators import Generator
from primebench.lab.model.process_records import ProcessMemory
from primebench.lab.model.results import PointRecord, ScenarioRecord
from primebench.lab.scenarios import get
from tests.lab.fixtures.make_results import ok, point, run

SOAK = get("soak")
MIB = 1024 * 1024
LIGHT = "[1-9][0-9]{0,3}"


def test_defaults_half_an_hour_of_minute_windows_at_half_capacity() -> None:
    s = SOAK.defaults()
    assert (s.duration_s, s.window_s, s.warmup_s, s.rounds) == (1800.0, 60.0, 300.0, 1)
    assert (s.rate_fractions, s.heavy_share, s.heavy_n_of("primebench"), s.heavy_n) == (
        (0.5,),
        0.05,
        100_000_000,
        20000,
    )
    assert (SOAK.compares_arms, SOAK.warms_up_points) == (False, False)
    assert SOAK.generators(s) == {Generator.OHA}
    assert s.to_json()["window_s"] == 60.0 and s.to_json()["load_fraction"] == 0.5


def test_the_probe_is_closed_loop_over_the_contenders_own_mix() -> None:
    probe = SOAK.capacity_probe(SOAK.defaults(), "node-seed")
    assert probe is not None and probe.duration_s == 10.0
    (stream,) = probe.streams
    assert (stream.generator, stream.rate, stream.connections) == (Generator.OHA, None, 50)
    assert stream.path_regex == "/prime\\?n=(" + "|".join([LIGHT] * 19 + ["19[0-9]{3}"]) + ")"
    assert SOAK.capacity_probe(replace(SOAK.defaults(), rates=(100.0,)), "x") is None


def test_windows_at_half_the_capacity_the_first_ones_warm_up() -> None:
    s = replace(SOAK.defaults(), duration_s=300.0, warmup_s=90.0)
    points = SOAK.plan(s, "primebench", capacity=7389.6)
    assert [p.key for p in points] == [f"window={i:04d}" for i in range(1, 6)]
    assert [p.params["warmup"] for p in points] == [True, True, False, False, False]
    assert all(p.duration_s == 60.0 and p.processes_apart for p in points)
    assert points[1].label == "window 2 (1-2 min)"
    assert dict(points[4].params) == {
        "window": 4,
        "start_s": 240.0,
        "end_s": 300.0,
        "warmup": False,
        "rate": 3700.0,
        "capacity": 7389.6,
        "heavy_share": 0.05,
        "light_max_n": 10000,
        "heavy_lo": 90_000_000,
        "heavy_hi": 99_999_999,
    }
    (stream,) = points[0].streams
    assert (stream.rate, stream.path_regex) == (
        3700.0,
        "/prime\\?n=(" + "|".join([LIGHT] * 19 + ["9[0-9]{7}"]) + ")",
    )
    with pytest.raises(ValueError, match="capacity"):
        SOAK.plan(s, "primebench")
    assert SOAK.plan(replace(s, rates=(123.0,)), "x")[0].params["rate"] == 123.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rounds": 3}, "the soak measures each window once: --rounds must be 1, got 3"),
        (
            {"duration_s": 8.0, "window_s": 2.0, "warmup_s": 4.0},
            (
                "--duration 8 s in --window 2 s windows leaves 2 after the --warmup of 4 s; "
                "the memory slope needs 3"
            ),
        ),
    ],
)
def test_settings_without_a_slope_to_take_are_refused(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(UserError) as caught:
        SOAK.check(replace(SOAK.defaults(), **changes))
    assert str(caught.value) == message
    SOAK.check(replace(SOAK.defaults(), duration_s=8.0, window_s=2.0, warmup_s=2.0))


def _window(i: int, worker_mib: float) -> PointRecord:
    processes = (
        ProcessMemory(100, None, "main", 30 * MIB),
        ProcessMemory(101, 100, "worker", int(worker_mib * MIB)),
    )
    trial = dataclasses.replace(
        run(0, 1000.0, 1.0, 5.0, tool="oha", restarted=i == 2), processes=processes
    )
    params: dict[str, object] = {"window": i, "end_s": 60.0 * (i + 1), "warmup": i == 0}
    return point(f"window={i + 1:04d}", params, [trial])


def _record() -> ScenarioRecord:
    leaky = ok("primebench", 1.0, [_window(i, 40.0 + i) for i in range(4)])
    flat = ok("go-seed", 1.0, [_window(i, 10.0) for i in range(4)])
    return ScenarioRecord("soak", SOAK.defaults().to_json(), (leaky, flat))


def test_tables_slopes_first_flagged_then_each_contenders_windows() -> None:
    slopes, leaky, flat = SOAK.tables(_record())
    assert slopes.title == "soak: memory slope after warm-up"
    assert slopes.rows == (
        ("primebench", "main", "100", "3", "30.0 MiB → 30.0 MiB", "+0.00 [+0.00, +0.00]", ""),
        (
            "primebench",
            "worker",
            "101",
            "3",
            "41.0 MiB → 43.0 MiB",
            "+1.00 [+1.00, +1.00]",
            "⚠ grows",
        ),
        (
            "primebench",
            "all",
            "tree",
            "3",
            "71.0 MiB → 73.0 MiB",
            "+1.00 [+1.00, +1.00]",
            "⚠ grows",
        ),
        ("go-seed", "main", "100", "3", "30.0 MiB → 30.0 MiB", "+0.00 [+0.00, +0.00]", ""),
        ("go-seed", "worker", "101", "3", "10.0 MiB → 10.0 MiB", "+0.00 [+0.00, +0.00]", ""),
        ("go-seed", "all", "tree", "3", "40.0 MiB → 40.0 MiB", "+0.00 [+0.00, +0.00]", ""),
    )
    assert leaky.title == "soak: primebench, window by window"
    assert leaky.header[-2:] == ("RSS main", "RSS worker")
    assert leaky.rows[0] == (
        "1 (warm-up)",
        "1:00",
        "1,000",
        "0.90 ms",
        "5.00 ms",
        "6.50 ms",
        "0 / 0 / 0",
        "10,000",
        "30.0 MiB",
        "40.0 MiB",
    )
    assert leaky.rows[2][0] == "3 (server restarted after it)"
    assert leaky.rows[3][:2] == ("4", "4:00") and leaky.rows[3][7] == "40,000"
    assert flat.title == "soak: go-seed, window by window"


def test_the_chart_draws_each_process_over_time() -> None:
    (chart,) = SOAK.charts(_record())
    assert chart.count("<polyline") == 4  # two processes of two contenders
    assert ">primebench worker 101<" in chart and ">go-seed main 100<" in chart
    assert SOAK.charts(ScenarioRecord("soak", {}, ())) == []  # nothing measured: no chart
