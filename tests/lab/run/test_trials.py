"""A trial's record from what was observed (pure): overlap, generator share, disturbance."""

from __future__ import annotations

from pathlib import Path

import pytest

from primebench.lab.host.disturbance import Disturbance
from primebench.lab.model.load_records import LoadResult, LoadSpec
from primebench.lab.run.loadgen import Generator, LoadRun, autocannon, oha, wrk
from primebench.lab.run.measure import Observed, RunContext, build_run_record


def context(server: set[int], generator: set[int]) -> RunContext:
    return RunContext(Path("."), frozenset(server), frozenset(generator), Path("."), "x")


def observed(
    *, cpu_s: float = 0.05, others: float = 0.01, steal_s: float = 0.0, rate: float | None = None
) -> Observed:
    spec = LoadSpec(port=1, path="/prime?n=20000", connections=100, duration_s=10.0, rate=rate)
    result = LoadResult("wrk", 10.0, 800, 80.0, None, 1000.0, 0, 0, 0)
    run = LoadRun(Generator.WRK, spec, result, "", ("wrk",), 0, "", "", 10.0, cpu_s)
    steal = steal_s / 20.0  # of two cores' 10 s
    shaken = Disturbance((0, 1), 10.0, steal_s, 10.0, 9.8, others * 20, steal, others)
    return Observed([run], 19.0, 10_000_000, 10.0, 19.5, 19.5, True, None, 1, shaken)


def test_a_generator_sharing_the_servers_cores_is_recorded_with_its_share() -> None:
    record = build_run_record(
        observed(cpu_s=0.3),
        context({0, 1}, {0, 1}),
        kind="measured",
        index=2,
        duration_s=10.0,
        raw=[],
    )
    assert record.cpus_overlap == (0, 1)
    assert record.generator_share == pytest.approx(0.03)  # 0.3 s CPU over 10 s wall
    assert record.server_cores_foreign is None  # shared cores: "others" is not separable
    assert record.index == 2 and record.status == "ok"


def test_a_generator_on_its_own_core_has_no_overlap() -> None:
    record = build_run_record(
        observed(), context({0}, {1}), kind="measured", index=0, duration_s=10.0, raw=[]
    )
    assert record.cpus_overlap == ()
    assert record.server_cores_foreign is not None


def test_disturbance_is_kept_and_flagged_above_ten_percent() -> None:
    quiet = build_run_record(
        observed(others=0.05),
        context({0}, {1}),
        kind="measured",
        index=0,
        duration_s=10.0,
        raw=[],
    )
    busy = build_run_record(
        observed(others=0.25),
        context({0}, {1}),
        kind="measured",
        index=0,
        duration_s=10.0,
        raw=[],
    )
    assert not quiet.disturbed and busy.disturbed
    assert busy.disturbance is not None and busy.disturbance.others_share == 0.25


def test_a_short_stall_flags_an_open_loop_trial_but_not_a_closed_loop_one() -> None:
    """0.1 s of steal is 0.5 % of the cores' time, far under the 10 % share; an open-loop
    trial (judged by its p99) is flagged all the same, a closed-loop one (req/s) is not."""

    def record(steal_s: float, rate: float | None) -> bool:
        seen = observed(steal_s=steal_s, rate=rate)
        run = build_run_record(
            seen, context({0}, {1}), kind="measured", index=0, duration_s=10.0, raw=[]
        )
        return run.disturbed

    assert record(0.1, rate=50.0) and not record(0.1, rate=None)
    assert not record(0.01, rate=50.0)  # 10 ms: under the 50 ms stall


LOADGEN = Path(__file__).parents[1] / "fixtures" / "loadgen"
SPEC = LoadSpec(port=8080, path="/prime?n=1", connections=4, duration_s=1)
PARSERS = {
    Generator.AUTOCANNON: autocannon.parse,
    Generator.OHA: oha.parse,
    Generator.WRK: wrk.parse,
}


def captured_run(generator: Generator, name: str) -> Observed:
    """A trial whose tool printed the captured output `name`, run to its end (exit 0)."""
    stdout = (LOADGEN / f"{name}.stdout").read_text(encoding="utf-8")
    result = PARSERS[generator](stdout, SPEC)
    run = LoadRun(generator, SPEC, result, "", (str(generator),), 0, stdout, "", 2.0, 0.05)
    return Observed([run], 0.5, 10_000_000, 2.0, 0.5, 0.05, True, None, 1, None)


@pytest.mark.parametrize(
    ("generator", "name", "timeouts"),
    [(Generator.AUTOCANNON, "autocannon-timeout", 3), (Generator.OHA, "oha-timeout", 2)],
)
def test_a_run_with_only_timeouts_is_a_measurement_of_zero(
    generator: Generator, name: str, timeouts: int
) -> None:
    """The tool ran to its end and every request timed out: 0 req/s, timeouts counted."""
    record = build_run_record(
        captured_run(generator, name), context({0}, {1}), kind="measured", index=0,
        duration_s=2.0, raw=[],
    )  # fmt: skip
    assert (record.status, record.reason) == ("ok", "")
    assert record.load is not None
    assert (record.load.requests, record.load.timeouts, record.load.errors) == (0, timeouts, 0)
    assert record.metric("req_per_s") == 0.0
    assert record.metric("latency_p99_ms") is None  # none completed: no latency, not a zero one
    assert record.cpu_s_per_request is None


@pytest.mark.parametrize(
    ("generator", "name", "reason"),
    [
        (
            Generator.AUTOCANNON,
            "autocannon-refused",
            "no 2xx answer in 2 s (0 timeouts, 15906 connection errors, 0 non-2xx)",
        ),
        (
            Generator.WRK,  # nothing counted at all: the run tells nothing
            "wrk-timeout",
            "no 2xx answer in 2 s (0 timeouts, 0 connection errors, 0 non-2xx)",
        ),
        (
            Generator.OHA,
            "oha-404",
            "no 2xx answer in 2 s (0 timeouts, 0 connection errors, 972 non-2xx)",
        ),
    ],
)
def test_no_2xx_answer_without_timeouts_alone_fails_the_trial(
    generator: Generator, name: str, reason: str
) -> None:
    record = build_run_record(
        captured_run(generator, name), context({0}, {1}), kind="measured", index=0,
        duration_s=2.0, raw=[],
    )  # fmt: skip
    assert (record.status, record.reason) == ("failed", reason)
