"""The load generators' parsers, on outputs captured from the real tools.

The fixtures under fixtures/loadgen/ were captured by `capture.py` in that folder,
which runs each tool exactly as the lab does against real local servers. Parsers must
read every case into the right counts, and a tool that printed no report must become
a parse error (a failed run), never a zero.

The expected values are literals read by hand from the raw `.stdout` files (autocannon
and oha print seconds or milliseconds, wrk's Lua report microseconds), so a parser that
swapped two percentiles or mixed up units fails. Where a tool's own text prints the same
figure (wrk's `Requests/sec`, oha's `sizePerSec`), the test checks against that too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from primebench.lab.model.load_records import Latency, LoadParseError, LoadResult, LoadSpec
from primebench.lab.run.loadgen import autocannon, oha, wrk

FIXTURES = Path(__file__).parents[1] / "fixtures" / "loadgen"
SPEC = LoadSpec(port=8080, path="/prime?n=1", connections=4, duration_s=1)


def captured(name: str) -> str:
    return (FIXTURES / f"{name}.stdout").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Expected:
    """Every field of a parsed result; latency as (avg, p50, p90, p99, max) in ms; `extra`
    only for the keys given."""

    duration_s: float
    requests: int
    req_per_s: float
    latency_ms: tuple[float, float, float, float, float] | None
    throughput_bytes_per_s: float
    errors: int = 0
    non_2xx: int = 0
    timeouts: int = 0
    offered_rate: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Parser = Callable[[str, LoadSpec], LoadResult]
RATE_SPEC = LoadSpec(port=1, path="/", connections=4, duration_s=2, rate=50)
RANDOM_SPEC = LoadSpec(port=1, path="/", connections=4, duration_s=1, rate=50, random_n=(1, 10000))

CAPTURED: list[Any] = [
    # autocannon: duration 1.02 s, requests.total 431, throughput.total 1753308 bytes;
    # latency in ms: average 223.84, p50 239, p90 357, p99 435, max 442.
    pytest.param(
        autocannon.parse,
        "autocannon-ok",
        SPEC,
        Expected(
            duration_s=1.02,
            requests=431,
            req_per_s=422.54901960784315,  # 431 / 1.02
            latency_ms=(223.84, 239.0, 357.0, 435.0, 442.0),
            throughput_bytes_per_s=1718929.4117647058,  # 1753308 / 1.02
            extra={"sent": 866, "resets": 0, "mismatches": 0, "latency_resolution_ms": 1},
        ),
        id="autocannon-ok",
    ),
    # A 404 is a non-2xx answer: counted, but not in req/s.
    pytest.param(
        autocannon.parse,
        "autocannon-404",
        SPEC,
        Expected(
            duration_s=1.02,
            requests=535,
            non_2xx=535,
            req_per_s=0.0,
            latency_ms=(256.81, 301.0, 420.0, 456.0, 473.0),
            throughput_bytes_per_s=272745.09803921566,  # 278200 / 1.02
        ),
        id="autocannon-404-is-non-2xx",
    ),
    # autocannon's own `errors` (3) includes its `timeouts` (3): each failure counted once.
    pytest.param(
        autocannon.parse,
        "autocannon-timeout",
        SPEC,
        Expected(
            duration_s=2.02,
            requests=0,
            timeouts=3,
            errors=0,
            req_per_s=0.0,
            latency_ms=None,
            throughput_bytes_per_s=0.0,
            extra={"sent": 5},
        ),
        id="autocannon-timeouts-are-not-errors",
    ),
    pytest.param(
        autocannon.parse,
        "autocannon-refused",
        SPEC,
        Expected(
            duration_s=1.01,
            requests=0,
            errors=15906,
            req_per_s=0.0,
            latency_ms=None,
            throughput_bytes_per_s=0.0,
            extra={"sent": 15908},
        ),
        id="autocannon-refused-is-errors",
    ),
    # wrk's Lua report: duration_us 1099368, requests 2034, bytes 8275076; latency_us mean
    # 2116.6480392156864, p50 2068, p90 2996, p99 3835, p99_9 4454, max 4837.
    pytest.param(
        wrk.parse,
        "wrk-ok",
        SPEC,
        Expected(
            duration_s=1.099368,
            requests=2034,
            req_per_s=1850.1539066081605,  # 2034 / 1.099368
            latency_ms=(2.1166480392156864, 2.068, 2.996, 3.835, 4.837),
            throughput_bytes_per_s=7527121.036813879,  # 8275076 / 1.099368
            extra={"latency_p99_9_ms": 4.454},
        ),
        id="wrk-ok",
    ),
    pytest.param(
        wrk.parse,
        "wrk-random-n",
        SPEC,
        Expected(
            duration_s=1.002453,
            requests=1858,
            req_per_s=1853.4534786169525,  # 1858 / 1.002453
            latency_ms=(2.410728205128205, 1.492, 5.133, 9.225, 12.994),
            throughput_bytes_per_s=7539848.751013763,  # 7558344 / 1.002453
            extra={"latency_p99_9_ms": 11.921},
        ),
        id="wrk-random-n",
    ),
    pytest.param(
        wrk.parse,
        "wrk-404",
        SPEC,
        Expected(
            duration_s=1.002156,
            requests=1098,
            non_2xx=1098,
            req_per_s=0.0,
            latency_ms=(3.9114910226385637, 3.144, 8.025, 12.903, 16.575),
            throughput_bytes_per_s=569731.6585441787,  # 570960 / 1.002156
        ),
        id="wrk-404-is-non-2xx",
    ),
    # wrk's empty histogram reports min = 2^64 - 1 and zeros: none of it is a latency.
    pytest.param(
        wrk.parse,
        "wrk-timeout",
        SPEC,
        Expected(
            duration_s=2.003499,
            requests=0,
            req_per_s=0.0,
            latency_ms=None,
            throughput_bytes_per_s=0.0,
            extra={"latency_p99_9_ms": None},
        ),
        id="wrk-silent-server-has-no-latency-rather-than-zero",
    ),
    # oha summary: total 1.001432824 s, average 0.0021159567987254348 s, slowest
    # 0.021061973 s, totalData 7300391 (oha's own sizePerSec 7289945.790712368);
    # statusCodeDistribution {"200": 1883}; latencyPercentiles p50 0.001514124, p90
    # 0.0036963, p99 0.013932497, p99.9 0.016711152; errorDistribution
    # {"aborted due to deadline": 4}.
    pytest.param(
        oha.parse,
        "oha-ok",
        SPEC,
        Expected(
            duration_s=1.001432824,
            requests=1883,
            req_per_s=1880.3058526469868,  # 1883 / 1.001432824
            latency_ms=(2.1159567987254348, 1.514124, 3.6963, 13.932497, 21.061973),
            throughput_bytes_per_s=7289945.790712368,
            extra={
                "aborted_at_deadline": 4,
                "latency_corrected": False,
                "error_kinds": {"aborted due to deadline": 4},
                "latency_p99_9_ms": 16.711152,
            },
        ),
        id="oha-ok",
    ),
    # Open loop at 50 req/s, latency corrected for coordinated omission.
    pytest.param(
        oha.parse,
        "oha-rate",
        RATE_SPEC,
        Expected(
            duration_s=2.001503371,
            requests=100,  # 50 req/s for 2 s
            req_per_s=49.96244395533421,  # 100 / 2.001503371
            latency_ms=(1.95494599, 1.488412, 5.342091, 6.135136, 6.135136),
            throughput_bytes_per_s=193704.39521483073,  # 387700 / 2.001503371, = sizePerSec
            offered_rate=50,
            extra={"latency_corrected": True, "aborted_at_deadline": 1},
        ),
        id="oha-rate-is-open-loop-and-corrected",
    ),
    pytest.param(
        oha.parse,
        "oha-random-n",
        RANDOM_SPEC,
        Expected(
            duration_s=1.00123368,
            requests=50,
            req_per_s=49.93839200455183,  # 50 / 1.00123368, = oha's own requestsPerSec
            latency_ms=(1.54529104, 1.525553, 1.724892, 2.105004, 2.105004),
            throughput_bytes_per_s=193611.14580164745,  # 193850 / 1.00123368
            offered_rate=50,
            extra={"error_kinds": {}, "aborted_at_deadline": 0, "latency_p99_9_ms": 2.105004},
        ),
        id="oha-random-n",
    ),
    pytest.param(
        oha.parse,
        "oha-404",
        SPEC,
        Expected(
            duration_s=1.008177915,
            requests=972,
            non_2xx=972,
            req_per_s=0.0,
            latency_ms=(4.101065407407413, 3.251377, 8.119311, 15.814023, 17.01581),
            throughput_bytes_per_s=322978.70758257975,  # 325620 / 1.008177915
        ),
        id="oha-404-is-non-2xx",
    ),
    # errorDistribution {"aborted due to deadline": 2, "timeout": 2}
    pytest.param(
        oha.parse,
        "oha-timeout",
        SPEC,
        Expected(
            duration_s=2.001600672,
            requests=0,
            timeouts=2,
            errors=0,
            req_per_s=0.0,
            latency_ms=None,
            throughput_bytes_per_s=0.0,
            extra={"aborted_at_deadline": 2, "latency_p99_9_ms": None},
        ),
        id="oha-timeouts-are-not-connection-errors",
    ),
    pytest.param(
        oha.parse,
        "oha-refused",
        SPEC,
        Expected(
            duration_s=1.007727323,
            requests=0,
            errors=66206,  # "Connection refused (os error 111)"
            req_per_s=0.0,
            latency_ms=None,
            throughput_bytes_per_s=0.0,
        ),
        id="oha-refused-is-errors",
    ),
]


@pytest.mark.parametrize(("parse", "name", "spec", "expected"), CAPTURED)
def test_captured_output_is_read_exactly(
    parse: Parser, name: str, spec: LoadSpec, expected: Expected
) -> None:
    """Every field of the parsed result, floats to 1e-9 relative."""
    result = parse(captured(name), spec)
    assert (result.requests, result.errors, result.non_2xx, result.timeouts) == (
        expected.requests,
        expected.errors,
        expected.non_2xx,
        expected.timeouts,
    )
    assert result.duration_s == pytest.approx(expected.duration_s, rel=1e-9)
    assert result.req_per_s == pytest.approx(expected.req_per_s, rel=1e-9)
    assert result.throughput_bytes_per_s == pytest.approx(expected.throughput_bytes_per_s, rel=1e-9)
    assert result.offered_rate == expected.offered_rate
    if expected.latency_ms is None:
        assert result.latency_ms is None
    else:
        assert isinstance(result.latency_ms, Latency)
        assert astuple(result.latency_ms) == pytest.approx(expected.latency_ms, rel=1e-9)
    for key, value in expected.extra.items():
        assert result.extra[key] == (pytest.approx(value, rel=1e-9) if value else value), key


@pytest.mark.parametrize(
    ("name", "printed"),
    [("wrk-ok", 1850.15), ("wrk-random-n", 1853.45)],
)
def test_wrk_req_per_s_is_its_own_requests_per_sec_line(name: str, printed: float) -> None:
    """wrk's own text prints `Requests/sec` to two decimals: the parsed rate agrees."""
    assert wrk.parse(captured(name), SPEC).req_per_s == pytest.approx(printed, abs=0.005)


# --- autocannon -----------------------------------------------------------------


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
