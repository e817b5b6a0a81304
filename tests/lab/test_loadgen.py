"""The load generators' parsers, on outputs captured from the real tools.

The fixtures under fixtures/loadgen/ were captured by `capture.py` in that folder,
which runs each tool exactly as the lab does against real local servers. Parsers must
read every case into the right counts, and a tool that printed no report must become
a parse error (a failed run), never a zero.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from primebench.lab.loadgen import autocannon, oha, wrk
from primebench.lab.loadgen.records import LoadParseError, LoadResult, LoadSpec

FIXTURES = Path(__file__).parent / "fixtures" / "loadgen"
SPEC = LoadSpec(port=8080, path="/prime?n=1", connections=4, duration_s=1)


def captured(name: str) -> str:
    return (FIXTURES / f"{name}.stdout").read_text(encoding="utf-8")


def _consistent(result: LoadResult) -> None:
    assert result.req_per_s == pytest.approx((result.requests - result.non_2xx) / result.duration_s)
    assert min(result.errors, result.timeouts, result.non_2xx, result.requests) >= 0


# --- autocannon -----------------------------------------------------------------


def test_autocannon_ok() -> None:
    result = autocannon.parse(captured("autocannon-ok"), SPEC)
    _consistent(result)
    assert result.requests > 100 and result.non_2xx == 0 and result.errors == 0
    assert result.latency_ms is not None
    assert 0 < result.latency_ms.p50 <= result.latency_ms.p99 <= result.latency_ms.max
    assert result.throughput_bytes_per_s > 0


def test_autocannon_counts_404_as_non_2xx_not_throughput() -> None:
    result = autocannon.parse(captured("autocannon-404"), SPEC)
    assert result.requests > 0 and result.non_2xx == result.requests
    assert result.req_per_s == 0.0


def test_autocannon_separates_timeouts_from_errors() -> None:
    # autocannon's own `errors` includes its timeouts; each failure is counted once here.
    result = autocannon.parse(captured("autocannon-timeout"), SPEC)
    assert result.timeouts >= 2 and result.errors == 0
    assert result.requests == 0 and result.latency_ms is None


def test_autocannon_connection_refused_is_errors() -> None:
    result = autocannon.parse(captured("autocannon-refused"), SPEC)
    assert result.errors > 0 and result.requests == 0 and result.latency_ms is None


def test_autocannon_without_json_is_a_parse_error() -> None:
    with pytest.raises(LoadParseError, match="no JSON report"):
        autocannon.parse("Running 1s test @ http://...\n", SPEC)


def test_autocannon_argv_refuses_what_it_cannot_do() -> None:
    exe = Path("/x/autocannon")
    assert autocannon.argv(exe, SPEC) == [
        "/x/autocannon",
        "--json",
        "-c",
        "4",
        "-d",
        "1",
        "-t",
        "10",
        "http://127.0.0.1:8080/prime?n=1",
    ]
    with pytest.raises(ValueError, match="wrk"):
        autocannon.argv(
            exe, LoadSpec(port=1, path="/", connections=1, duration_s=1, random_n=(1, 9))
        )
    with pytest.raises(ValueError, match="coordinated omission"):
        autocannon.argv(exe, LoadSpec(port=1, path="/", connections=1, duration_s=1, rate=10))


def test_autocannon_version() -> None:
    assert (
        autocannon.parse_version("autocannon v9.0.0\nnode v20.20.2\n")
        == "autocannon v9.0.0; node v20.20.2"
    )


# --- wrk ------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["wrk-ok", "wrk-random-n"])
def test_wrk_ok(case: str) -> None:
    result = wrk.parse(captured(case), SPEC)
    _consistent(result)
    assert result.requests > 100 and result.non_2xx == 0
    assert result.latency_ms is not None
    assert (
        0
        < result.latency_ms.p50
        <= result.latency_ms.p90
        <= result.latency_ms.p99
        <= result.latency_ms.max
    )


def test_wrk_404_is_non_2xx() -> None:
    result = wrk.parse(captured("wrk-404"), SPEC)
    assert result.requests > 0 and result.non_2xx == result.requests and result.req_per_s == 0.0


def test_wrk_silent_server_has_no_latency_rather_than_zero() -> None:
    # wrk's empty histogram reports min = 2^64 - 1 and zeros: none of it is a latency.
    result = wrk.parse(captured("wrk-timeout"), SPEC)
    assert result.requests == 0 and result.latency_ms is None


def test_wrk_that_stopped_before_done_is_a_parse_error() -> None:
    with pytest.raises(LoadParseError, match="no Lua report"):
        wrk.parse(captured("wrk-refused"), SPEC)


def test_wrk_argv_passes_the_random_range_to_lua() -> None:
    spec = LoadSpec(
        port=9, path="/prime?n=1", connections=8, duration_s=1.2, threads=2, random_n=(1, 20000)
    )
    argv = wrk.argv(Path("/usr/bin/wrk"), spec)
    assert argv[:9] == ["/usr/bin/wrk", "-t", "2", "-c", "8", "-d", "2s", "--timeout", "10s"]
    assert argv[-5:] == ["--", "1", "20000", "20000", "/prime?n="]
    assert wrk.script_path().is_file()


def test_wrk_version() -> None:
    text = (
        "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer\nUsage: wrk <options> <url>\n"
    )
    assert wrk.parse_version(text) == "wrk debian/4.1.0-3+b2 [epoll]"


# --- oha ------------------------------------------------------------------------


def test_oha_ok() -> None:
    result = oha.parse(captured("oha-ok"), SPEC)
    _consistent(result)
    assert result.requests > 100 and result.non_2xx == 0 and result.errors == 0
    assert result.latency_ms is not None and 0 < result.latency_ms.p50 <= result.latency_ms.p99


def test_oha_rate_is_open_loop_and_corrected() -> None:
    spec = LoadSpec(port=1, path="/", connections=4, duration_s=2, rate=50)
    result = oha.parse(captured("oha-rate"), spec)
    assert result.offered_rate == 50
    assert result.extra["latency_corrected"] is True
    assert 80 <= result.requests <= 110  # 50 req/s for 2 s, give or take the edges


def test_oha_404_is_non_2xx() -> None:
    result = oha.parse(captured("oha-404"), SPEC)
    assert result.requests > 0 and result.non_2xx == result.requests and result.req_per_s == 0.0


def test_oha_timeouts_are_not_connection_errors() -> None:
    result = oha.parse(captured("oha-timeout"), SPEC)
    assert result.requests == 0 and result.latency_ms is None
    assert result.timeouts > 0 and result.errors == 0


def test_oha_refused_is_errors() -> None:
    result = oha.parse(captured("oha-refused"), SPEC)
    assert result.requests == 0 and result.errors > 0


def test_oha_argv() -> None:
    spec = LoadSpec(
        port=9, path="/prime?n=1", connections=8, duration_s=2, rate=50, random_n=(1, 10000)
    )
    argv = oha.argv(Path("/o/oha"), spec)
    assert argv[:4] == ["/o/oha", "--no-tui", "--output-format", "json"]
    assert argv[argv.index("-q") + 1] == "50" and "--latency-correction" in argv
    assert argv[-1] == "http://127.0.0.1:9/prime\\?n=[1-9][0-9]{0,3}"


@pytest.mark.parametrize(
    ("hi", "regex"),
    [
        (9, "[1-9]"),
        (10, "[1-9]"),
        (9999, "[1-9][0-9]{0,3}"),
        (10000, "[1-9][0-9]{0,3}"),
        (15000, "[1-9][0-9]{0,3}"),
    ],
)
def test_oha_digits_regex_never_exceeds_hi(hi: int, regex: str) -> None:
    assert oha.digits_regex(hi) == regex


# --- the spec -------------------------------------------------------------------


def test_load_only_targets_loopback() -> None:
    with pytest.raises(ValueError, match="127.0.0.1"):
        LoadSpec(port=80, path="/", connections=1, duration_s=1, host="10.0.0.1")
