"""The floor path in process (service/app.py): remembered floor answers and the Host count.

A repeated `/prime?{query}` the table answers is served from `_floor_bodies` without
parsing n again. These tests hold that shortcut to the contract: the oracle for answers is
sympy.prime, every refusal still happens before the shortcut, nothing refused is ever
remembered, and the store stays bounded.
"""

from __future__ import annotations

import json

import pytest
import sympy

from primebench.primes import prepare
from primebench.service.app import FLOOR_BODIES, PrimeApp
from primebench.service.cores.bridge import Proto, RequestHeaders, Response, Scope
from primebench.service.metrics import Metrics
from primebench.service.settings import Offload, Settings
from primebench.service.sizing import Sizing

SETTINGS = Settings(offload=Offload.NEVER, table_size=3000, max_n=20_000)


@pytest.fixture
def app() -> PrimeApp:
    sizing = Sizing(workers=1, pool_processes=0, compute_threads=1, cpu_limit=1, memory_bytes=None)
    app = PrimeApp(SETTINGS, prepare(SETTINGS.engine, SETTINGS.table_size), sizing)
    app.metrics = Metrics()
    return app


def ask(
    app: PrimeApp, query: str, method: str = "GET", hosts: tuple[str, ...] = ("t",)
) -> Response:
    fields = [("host", host) for host in hosts]
    scope = Scope(method, "/prime", query, "1.1", RequestHeaders(fields))
    proto = Proto()
    coroutine = app(scope, proto)
    with pytest.raises(StopIteration):  # the floor awaits nothing
        coroutine.send(None)
    return proto.response


def prime_body(n: int) -> bytes:
    return b'{"n":%d,"prime":%d}' % (n, int(sympy.prime(n)))


@pytest.mark.parametrize(
    ("query", "n", "remembered"),
    [("n=1", 1, True), ("n=7", 7, True), ("n=07", 7, True), ("n=3000", 3000, True),
     ("n=3001", 3001, False), ("", 10_000, False)],
)  # fmt: skip
def test_a_repeated_query_gets_the_same_right_answer(
    app: PrimeApp, query: str, n: int, remembered: bool
) -> None:
    """Past the table (3,000 here) the answer is computed inline each time, not remembered."""
    first, second = ask(app, query), ask(app, query)
    assert first == second == (200, [("content-type", "application/json")], prime_body(n))
    assert (query in app._floor_bodies) is remembered


def test_each_answer_is_counted_once_as_table(app: PrimeApp) -> None:
    for _ in range(4):
        ask(app, "n=5")
    assert app.metrics is not None
    snap = app.metrics.snapshot()
    assert snap["requests"] == {"/prime 200": 4}
    assert snap["answers"] == {"table": 4}


@pytest.mark.parametrize("query", ["n=abc", "n=0", "n=20001", "n=1&n=1", "n=%31"])
def test_a_refused_or_unusual_query_is_not_remembered_wrongly(app: PrimeApp, query: str) -> None:
    first, second = ask(app, query), ask(app, query)
    assert first == second
    if query == "n=%31":  # percent-encoded '1': in the contract, so answered and remembered
        assert first == (200, [("content-type", "application/json")], prime_body(1))
    else:
        assert first[0] == 400
        assert query not in app._floor_bodies


def test_refusals_still_come_first_for_a_remembered_query(app: PrimeApp) -> None:
    assert ask(app, "n=3")[0] == 200
    status, _, body = ask(app, "n=3", method="POST")
    assert status == 405 and json.loads(body)["type"] == "urn:primebench:problem:method-not-allowed"
    status, _, body = ask(app, "n=3", hosts=("a", "b"))
    assert status == 400 and "it had 2" in json.loads(body)["detail"]
    assert ask(app, "n=3", hosts=())[0] == 400
    app.draining = True
    assert ("connection", "close") in ask(app, "n=3")[1]


def test_the_store_stays_bounded_and_keeps_answering(app: PrimeApp) -> None:
    for n in range(1, FLOOR_BODIES + 50):
        assert ask(app, f"n={n}")[2] == prime_body(n)
    assert 0 < len(app._floor_bodies) <= FLOOR_BODIES
    assert ask(app, "n=1")[2] == prime_body(1)  # remembered again after the store was cleared


def test_a_long_query_is_answered_but_not_remembered(app: PrimeApp) -> None:
    """Leading zeros keep n valid at any length: the store must not hold 64 KB keys."""
    query = "n=" + "0" * 5000 + "7"
    assert ask(app, query)[2] == prime_body(7)
    assert query not in app._floor_bodies
    assert ask(app, "n=" + "0" * 29 + "7")[2] == prime_body(7)  # 32 characters: remembered
    assert "n=" + "0" * 29 + "7" in app._floor_bodies
