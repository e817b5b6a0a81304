"""The service through a real HTTP client against a real server process."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import sympy

from tests.servers import Server, start_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["httptools", "granian"])
def service(request: pytest.FixtureRequest) -> Iterator[Server]:
    """One default service for this module's read-only HTTP tests (small pool, so concurrency is visible).

    On each core: the own one (the default) and granian (`--server granian`), so the
    contract holds on both; the hostile suites run on the default (docs/RELIABILITY.md).
    Module-scoped, so it is stopped before other modules run: the lab's tests check that
    they leave no child process behind.
    """
    args = ("--server", request.param, "--workers", "1", "--pool-size", "1", "--queue-depth", "8")
    with start_server(*args) as running:
        yield running


MAX_N = 10**14  # the default


def get(service: Server, path: str) -> httpx.Response:
    return httpx.get(service.url + path, timeout=30)


@pytest.mark.parametrize("n", [1, 2, 10, 100, 1000, 20000, 99_991, 1_000_000, 1_000_001, 2_718_281])
def test_prime_matches_sympy(service: Server, n: int) -> None:
    response = get(service, f"/prime?n={n}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"n":%d,"prime":%d}' % (n, sympy.prime(n))


@pytest.mark.parametrize(("n", "p"), [(10**9, 22801763489), (10**12, 29996224275833)])
def test_huge_n_matches_published_values(service: Server, n: int, p: int) -> None:
    assert get(service, f"/prime?n={n}").json() == {"n": n, "prime": p}
    assert get(service, f"/prime/{n}").json() == {"n": n, "prime": p}


def test_missing_n_is_the_article_default(service: Server) -> None:
    assert get(service, "/prime").content == b'{"n":10000,"prime":104729}'


def test_path_form_and_leading_zeros(service: Server) -> None:
    assert get(service, "/prime/20000").json() == {"n": 20000, "prime": 224737}
    assert get(service, "/prime?n=00020000").json() == {"n": 20000, "prime": 224737}


def test_head_has_headers_and_no_body(service: Server) -> None:
    for path in ("/prime?n=7", "/prime/7", "/healthz", "/openapi.json"):
        head = httpx.head(service.url + path, timeout=10)
        full = get(service, path)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(full.content))


BAD_INPUTS = [
    "",
    "abc",
    "-5",
    "0",
    "1.5",
    "1e3",
    "%2B7",
    "+7",
    "0x10",
    "%207",
    "7%20",
    "%09",
    "%D9%A3",
    "%EF%BC%97",
    "1" * 10_000,
    str(MAX_N + 1),
    str(2**64),
    str(2**64 + 1),
    "%00",
    "7%00",
    "1%2C000",
]


@pytest.mark.parametrize("raw", BAD_INPUTS)
def test_bad_n_is_400_problem_json(service: Server, raw: str) -> None:
    response = get(service, f"/prime?n={raw}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and problem["type"] == "urn:primebench:problem:invalid-n"
    assert "from 1 to 1000000000000" in problem["detail"] and "received" in problem["detail"]
    assert len(problem["detail"]) < 200
    assert get(service, "/prime?n=3").json() == {"n": 3, "prime": 5}  # still up


@pytest.mark.parametrize(
    "path", ["/prime/abc", "/prime/0", "/prime/-1", "/prime/1.5", "/prime/%D9%A3"]
)
def test_bad_path_n_is_400(service: Server, path: str) -> None:
    response = get(service, path)
    assert (
        response.status_code == 400
        and response.headers["content-type"] == "application/problem+json"
    )


def test_repeated_n_is_400(service: Server) -> None:
    response = get(service, "/prime?n=1&n=2")
    assert response.status_code == 400
    assert "given once" in response.json()["detail"]


def test_unknown_path_is_404_problem(service: Server) -> None:
    for path in ("/nope", "/prime/1/2", "/primes", "/"):
        response = get(service, path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_wrong_method_is_405_with_allow(service: Server, method: str) -> None:
    response = httpx.request(method, service.url + "/prime?n=5", timeout=10)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.headers["content-type"] == "application/problem+json"


def test_operational_endpoints(service: Server) -> None:
    assert get(service, "/healthz").json() == {"status": "ok"}
    assert get(service, "/readyz").json() == {"status": "ok"}
    spec = get(service, "/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {
        "/prime",
        "/prime/{n}",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    }
    assert spec["paths"]["/prime"]["get"]["parameters"][0]["schema"]["maximum"] == MAX_N


def test_metrics_count_requests_paths_and_rejections(service: Server) -> None:
    get(service, "/prime?n=5")
    get(service, "/prime?n=abc")
    get(service, "/prime?n=123456789")
    text = get(service, "/metrics").text
    assert 'primebench_requests_total{route="/prime",status="200"}' in text
    assert 'primebench_requests_total{route="/prime",status="400"}' in text
    assert 'primebench_rejections_total{reason="invalid-n"}' in text
    assert 'primebench_answers_total{path="table"}' in text
    assert 'primebench_answers_total{path="pool"}' in text
    assert "primebench_request_seconds_bucket" in text
    assert "primebench_heavy_in_flight" in text and "primebench_heavy_queued" in text


def test_metrics_count_every_floor_answer_at_once(service: Server) -> None:
    """Floor answers are counted in two plain ints and folded in at the scrape: none is late.

    One worker, so the scrape is served by the worker that answered (no publishing delay).
    """
    ok, fast, table = (
        'primebench_requests_total{route="/prime",status="200"}',
        'primebench_request_seconds_bucket{le="0.0005",route="/prime"}',
        'primebench_answers_total{path="table"}',
    )
    before = service.metrics()
    with httpx.Client(base_url=service.url, timeout=30) as client:
        for _ in range(40):  # the first one parses n; the rest are answered from the store
            assert client.get("/prime?n=3").content == b'{"n":3,"prime":5}'
    after = service.metrics()
    assert after[ok] - before.get(ok, 0.0) == 40
    assert after[table] - before.get(table, 0.0) == 40
    # each answer in exactly one bucket: the histogram's count moved by 40 as well
    count = 'primebench_request_seconds_count{route="/prime"}'
    assert after[count] - before.get(count, 0.0) == 40
    assert 1 <= after[fast] - before.get(fast, 0.0) <= 40  # ~5 us each, unless preempted


async def _cheap_while_heavy(url: str) -> tuple[float, list[float]]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        heavy = [asyncio.create_task(client.get(f"/prime?n={10**12 - i}")) for i in range(4)]
        await asyncio.sleep(0.05)
        cheap_done: list[float] = []
        start = time.perf_counter()
        for n in range(1, 31):
            response = await client.get(f"/prime?n={n}")
            assert response.status_code == 200
            cheap_done.append(time.perf_counter() - start)
        first_heavy = min([t for t in await _finish_times(heavy, start)])
        return first_heavy, cheap_done


async def _finish_times(tasks: list[asyncio.Task[httpx.Response]], start: float) -> list[float]:
    times = []
    for task in asyncio.as_completed(tasks):
        response = await task
        assert response.status_code == 200
        times.append(time.perf_counter() - start)
    return times


def test_cheap_requests_are_answered_while_heavy_ones_run(service: Server) -> None:
    # Four p(~10^12) queue on a one-process pool (~0.1-0.3 s each); thirty cheap answers finish before them.
    first_heavy, cheap = asyncio.run(_cheap_while_heavy(service.url))
    assert cheap[-1] < first_heavy


def test_queue_full_is_503_with_retry_after() -> None:
    async def burst(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            return list(
                await asyncio.gather(*(client.get(f"/prime?n={10**12 - i}") for i in range(6)))
            )

    with start_server("--workers", "1", "--pool-size", "1", "--queue-depth", "1") as running:
        responses = asyncio.run(burst(running.url))
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(200) >= 2 and statuses.count(503) >= 1
        refused = next(r for r in responses if r.status_code == 503)
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["type"] == "urn:primebench:problem:overloaded"
        assert (
            'primebench_rejections_total{reason="overloaded"}'
            in httpx.get(running.url + "/metrics").text
        )


def test_a_deadline_too_short_for_n_is_refused_at_once_not_after_it() -> None:
    with start_server("--workers", "1", "--deadline", "0.02") as running:
        started = time.perf_counter()
        response = httpx.get(running.url + f"/prime?n={10**12}", timeout=30)
        assert time.perf_counter() - started < 0.5
        assert response.status_code == 503 and int(response.headers["retry-after"]) >= 1
        assert response.json()["type"] == "urn:primebench:problem:overloaded"
        assert httpx.get(running.url + "/prime?n=10").json() == {"n": 10, "prime": 29}
        assert httpx.get(running.url + f"/prime?n={10**8}", timeout=30).status_code in (200, 503)


def test_max_n_reaches_the_nth_prime_page_range_and_the_deadline_still_holds() -> None:
    top = 26 * 10**14  # The Nth Prime Page answers n <= 2.6e15
    with start_server("--workers", "1", "--max-n", str(top)) as running:
        spec = httpx.get(running.url + "/openapi.json").json()
        assert spec["paths"]["/prime"]["get"]["parameters"][0]["schema"]["maximum"] == top
        assert httpx.get(running.url + f"/prime?n={top + 1}").status_code == 400
        # p(2.6e15) takes ~20 s on one core: past the default 10 s deadline, refused at once
        started = time.perf_counter()
        response = httpx.get(running.url + f"/prime?n={top}", timeout=30)
        assert response.status_code == 503 and time.perf_counter() - started < 0.5
        assert response.json()["type"] == "urn:primebench:problem:overloaded"


def test_p_10_13_matches_the_published_value(service: Server) -> None:
    assert get(service, f"/prime?n={10**13}").json() == {"n": 10**13, "prime": 323_780_508_946_331}


def test_sizing_gauges_and_answer_cache_in_metrics(service: Server) -> None:
    n = 10**11 + 7  # heavy, and asked twice: the second answer comes from the cache
    first, second = get(service, f"/prime?n={n}"), get(service, f"/prime?n={n}")
    assert first.content == second.content and first.status_code == 200
    text = get(service, "/metrics").text
    for gauge in ("primebench_workers 1.0", "primebench_pool_processes 1.0"):
        assert gauge in text.splitlines()
    assert re.search(r"^primebench_compute_threads \d+\.0$", text, re.MULTILINE)
    assert re.search(r"^primebench_cpu_limit \d+(\.\d+)?$", text, re.MULTILINE)
    assert re.search(r'^primebench_answer_cache_total\{result="hit"\} [1-9]', text, re.MULTILINE)
    assert re.search(r'^primebench_answer_cache_total\{result="miss"\} [1-9]', text, re.MULTILINE)
    assert 'primebench_answers_total{path="cache"}' in text


@pytest.mark.concurrent  # its own server (or none): answers only, no figure
def test_answer_cache_off_computes_every_time() -> None:
    with start_server("--workers", "1", "--answer-cache", "0") as running:
        for _ in range(2):
            assert httpx.get(running.url + "/prime?n=100000000007", timeout=30).status_code == 200
        text = httpx.get(running.url + "/metrics").text
        assert 'primebench_answers_total{path="pool"} 2.0' in text
        assert 'path="cache"' not in text


@pytest.mark.concurrent  # its own server (or none): answers only, no figure
def test_openapi_documents_head_405_and_host() -> None:
    from primebench.service.openapi import document

    for path, item in document(10**14)["paths"].items():
        assert set(item) == {"get", "head"}, path
        assert {"400", "405"} <= set(item["get"]["responses"]), path
    assert "503" in document(10**14)["paths"]["/prime"]["get"]["responses"]


@pytest.mark.concurrent  # its own server (or none): answers only, no figure
def test_max_n_is_configurable() -> None:
    with start_server("--workers", "1", "--max-n", "1000") as running:
        assert httpx.get(running.url + "/prime?n=1000").json() == {"n": 1000, "prime": 7919}
        response = httpx.get(running.url + "/prime?n=1001")
        assert response.status_code == 400 and "from 1 to 1000 " in response.json()["detail"]


@pytest.mark.concurrent  # its own server (or none): answers only, no figure
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--workers", "many"], "--workers / PRIMEBENCH_WORKERS"),
        (["--engine", "fastest"], "one of fast, trial, trial-jit"),
    ],
)
def test_bad_setting_is_refused_at_start(args: list[str], needle: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "primebench", "serve", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_busy_port_is_refused_with_a_clear_message(service: Server) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "primebench", "serve", "--port", str(service.port)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"cannot listen on --host 127.0.0.1 --port {service.port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_sizes_are_logged_once_at_start(service: Server) -> None:
    lines = [line for line in service.log().splitlines() if line.startswith("primebench: sizing:")]
    assert len(lines) == 1
    assert "1 workers x 1 pool processes" in lines[0] and "connections per worker" in lines[0]
