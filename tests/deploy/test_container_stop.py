"""`podman stop` under load: the container stops as the service does on a host.

Bar of issue 12: `podman stop` during load loses no accepted request. A bounded loopback
load from real HTTP clients (httpx, one keep-alive connection per thread; cheap requests
answered from the table, heavy ones computed by primecount in the pool) runs against a
one-CPU container; `podman stop` sends SIGTERM to tini, tini to granian's main process.

When SIGTERM reached the service is read from its own log (granian's "Shutting down" line,
timestamped by podman). Every request sent before that is answered, correctly (sympy, or
the published p(10^12), as the oracle), the heavy ones in flight included. Requests sent around or after
it are answered, or never connected, or closed before a byte of answer (granian drops a
connection whose request it has not read yet; a client may retry it) — never a wrong
answer, a 5xx, or an answer cut short. The container exits with 0 well before podman
would SIGKILL it, i.e. SIGTERM reached the service and it stopped by itself.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
import sympy

from tests.deploy.podman import BuiltImage, run_container

pytestmark = [pytest.mark.container, pytest.mark.e2e, pytest.mark.timeout(900)]

GRACE_S = 10.0  # the service's --grace (its default)
STOP_TIMEOUT_S = 30.0  # podman stop's SIGKILL deadline, far past the grace
ANSWERED_BEFORE_STOP = 40  # the stop begins once this many answers came back (the load runs)
MIN_ANSWERED_EARLY = 20  # of which at least these were sent before the race window
LOAD_DEADLINE_S = 30.0  # ... or after this long, on a machine too busy to get there
RACE_WINDOW_S = 0.05  # requests sent this close to the stop may meet the closing accept loop
CLIENT_DEADLINE_S = GRACE_S + 10  # a client thread ends by then after the stop, whatever happens
# info: granian logs its shutdown; no answer cache (service branch), so heavy n stay heavy
SERVICE_ENV = ("--env", "PRIMEBENCH_LOG_LEVEL=info", "--env", "PRIMEBENCH_ANSWER_CACHE=0")
# The main process's line at SIGTERM: the own core's, or granian's (--server granian).
SHUTDOWN_LINE = re.compile(
    r"^(\S+) (?:primebench: SIGTERM: shutting down|\[INFO\] Shutting down granian)",
    re.MULTILINE,
)
CHEAP_CLIENTS = 6
HEAVY_CLIENTS = 3
# Heavy clients start this far apart, so they do not run in lockstep: at any instant one of
# them has a request in flight that was sent well before (p(10^12) takes ~0.3 s here).
HEAVY_STAGGER_S = 0.12
CHEAP_N = (1, 2, 10, 100, 1000, 10_000, 20_000, 99_991)
P_10_12 = 29_996_224_275_833  # p(10^12), published (OEIS A006988); far past what sympy does here


@dataclass(frozen=True)
class Outcome:
    sent_s: float  # wall clock; relative to SIGTERM in `_figures` (negative: before it)
    done_s: float
    n: int
    status: int | None
    body: bytes
    error: str  # "", "connect", "unanswered", "reset", or "cut"

    def answered(self, expected: dict[int, int]) -> bool:
        return self.status == 200 and self.body == b'{"n":%d,"prime":%d}' % (
            self.n,
            expected[self.n],
        )


class Load:
    """Closed-loop httpx clients on their own threads until the container stops or a deadline."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop_at: float | None = None
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._client, args=(list(CHEAP_N[i:] + CHEAP_N[:i]), 0.0))
            for i in range(CHEAP_CLIENTS)
        ] + [
            threading.Thread(target=self._client, args=([10**12], i * HEAVY_STAGGER_S))
            for i in range(HEAVY_CLIENTS)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wait_for_answers(self, count: int, deadline_s: float) -> None:
        ends = time.time() + deadline_s
        while time.time() < ends:
            with self._lock:
                if sum(o.status == 200 for o in self.outcomes) >= count:
                    return
            time.sleep(0.05)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=CLIENT_DEADLINE_S + 30)
        assert not any(thread.is_alive() for thread in self._threads), "a client thread hung"

    def _over(self) -> bool:
        return self.stop_at is not None and time.time() > self.stop_at + CLIENT_DEADLINE_S

    def _client(self, ns: list[int], delay_s: float) -> None:
        time.sleep(delay_s)
        timeout = httpx.Timeout(GRACE_S + 5, connect=2.0)
        with httpx.Client(base_url=self.url, timeout=timeout) as client:
            index = 0
            while not self._over():
                n = ns[index % len(ns)]
                index += 1
                sent = time.time()
                status, body, error = _one(client, n)
                with self._lock:
                    self.outcomes.append(Outcome(sent, time.time(), n, status, body, error))
                if error == "connect" and self.stop_at is not None:
                    return  # the service is gone: nothing more to learn


def _one(client: httpx.Client, n: int) -> tuple[int | None, bytes, str]:
    try:
        reply = client.get(f"/prime?n={n}")
        return reply.status_code, reply.content, ""
    except (httpx.ConnectError, httpx.ConnectTimeout):
        return None, b"", "connect"
    except httpx.RemoteProtocolError as exc:
        # h11 says which: no byte of a response at all, or a response cut short.
        return None, b"", "unanswered" if "without sending a response" in str(exc) else "cut"
    except httpx.ReadError:
        return None, b"", "reset"


def test_podman_stop_under_load_loses_no_accepted_request(primebench_image: BuiltImage) -> None:
    expected = {n: int(sympy.prime(n)) for n in CHEAP_N} | {10**12: P_10_12}
    with run_container(primebench_image.tag, "--cpus", "1", *SERVICE_ENV) as container:
        load = Load(container.url)
        load.start()
        load.wait_for_answers(ANSWERED_BEFORE_STOP, LOAD_DEADLINE_S)
        load.stop_at = time.time()
        try:
            stop_s = container.stop(STOP_TIMEOUT_S)
        finally:
            load.join()
        state = container.state()
        logs = container.logs(timestamps=True)
    assert state["ExitCode"] == 0, logs[-3000:]
    assert stop_s < GRACE_S + 2, stop_s  # stopped by itself: podman did not need SIGKILL
    assert "Traceback" not in logs, logs[-3000:]
    term_at = _sigterm_time(logs)
    figures = _figures(load.outcomes, expected, term_at)
    figures |= {
        "stop_s": round(stop_s, 2),
        "sigterm_after_stop_s": round(term_at - load.stop_at, 3),
    }
    print("podman stop figures:", figures)
    assert figures["answered_before"] >= MIN_ANSWERED_EARLY, figures  # the load really ran
    assert figures["lost_before"] == [], figures
    # A heavy computation was running when SIGTERM came, and its answer still arrived.
    assert figures["heavy_straddling_answered"] >= 1, figures
    assert figures["unclean_around"] == [], figures


def _sigterm_time(logs: str) -> float:
    """When the main process began its shutdown (podman's timestamp of the log line)."""
    match = SHUTDOWN_LINE.search(logs)
    assert match, "no shutdown line in the container's log:\n" + logs[-3000:]
    stamp = match.group(1)  # RFC 3339 with nanoseconds; Python takes microseconds
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole + "+00:00").timestamp() + float("0." + (fraction or "0"))


def _figures(outcomes: list[Outcome], expected: dict[int, int], term_at: float) -> dict[str, Any]:
    relative = [
        Outcome(o.sent_s - term_at, o.done_s - term_at, o.n, o.status, o.body, o.error)
        for o in outcomes
    ]
    before = [o for o in relative if o.sent_s < -RACE_WINDOW_S]
    around = [o for o in relative if o.sent_s >= -RACE_WINDOW_S]
    clean_failures = ("connect", "unanswered", "reset")
    return {
        "answered_before": sum(o.answered(expected) for o in before),
        "lost_before": [
            (o.n, o.status, o.error, round(o.sent_s, 3)) for o in before if not o.answered(expected)
        ],
        "heavy_straddling_answered": sum(
            o.n == 10**12 and o.answered(expected) and o.done_s > 0 for o in before
        ),
        "heavy_near_sigterm": [
            (round(o.sent_s, 3), round(o.done_s, 3), o.status, o.error)
            for o in relative
            if o.n == 10**12 and -2 < o.sent_s < 2
        ],
        "answered_around": sum(o.answered(expected) for o in around),
        "failed_around": {e: sum(o.error == e for o in around) for e in clean_failures},
        "unclean_around": [
            (o.n, o.status, o.error, round(o.sent_s, 3))
            for o in around
            if not (o.answered(expected) or o.error in clean_failures)
        ],
    }
