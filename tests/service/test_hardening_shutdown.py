"""Shutdown: SIGTERM under load.

SIGTERM starts a drain (`--drain`, 1 s by default): readiness turns 503, every answer
carries `Connection: close`, and the listener keeps accepting, so every request sent
before the signal (the listen backlog included) is answered, with a correct body, nothing
reset or cut. Then the listener closes: new connections are refused cleanly
(ECONNREFUSED), the server exits with 0 within its grace period, and no process of it is
left behind (checked by the `launch` fixture).

One race is left, and only for requests sent after the drain, within RACE_WINDOW_S of
the listener closing: a connection accepted in that instant whose request granian has
not read yet is closed without a byte of answer (a client may retry it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.service.conftest import KNOWN_PRIMES, P_10_12, Reply, exchange, fetch

if TYPE_CHECKING:
    from tests.service.conftest import Server

pytestmark = pytest.mark.e2e

GRACE_S = 8.0
DRAIN_S = 1.0
HEAVY_IN_FLIGHT = 4
RACE_WINDOW_S = 0.05  # requests sent this close to the listener closing may meet it closing
CHEAP_CLIENTS = 8


@dataclass
class Outcome:
    sent_s: float  # seconds from SIGTERM (negative: before it)
    target: str
    expected: bytes
    reply: Reply

    @property
    def answered(self) -> bool:
        return self.reply.status == 200 and self.reply.body == self.expected

    @property
    def refused(self) -> bool:
        return self.reply.status is None and "ConnectionRefusedError" in self.reply.error

    @property
    def closed_unanswered(self) -> bool:
        """Closed before a single response byte: the server never read the request (retryable)."""
        error = self.reply.error
        return (
            self.reply.status is None
            and (
                error == "partial: b''"
                or error.startswith(("exchange: ConnectionResetError", "connect: "))
            )
            and "ConnectionRefusedError" not in error
        )


async def _load(server: Server, sigterm_after_s: float) -> tuple[list[Outcome], float, int]:
    """Heavy requests plus closed-loop cheap clients; SIGTERM in the middle. Returns outcomes, exit time, code."""
    loop = asyncio.get_running_loop()
    outcomes: list[Outcome] = []
    term_at: list[float] = []

    def since_term() -> float:
        return loop.time() - term_at[0] if term_at else loop.time() - 1e9

    async def one(target: str, expected: bytes) -> None:
        sent = (
            loop.time()
        )  # absolute; made relative to SIGTERM below (a request can start just before it)
        reply = await fetch(server.port, target, timeout_s=GRACE_S + 5)
        outcomes.append(Outcome(sent, target, expected, reply))

    async def cheap_client(index: int) -> None:
        items = list(KNOWN_PRIMES.items())
        while True:
            n, prime = items[index % len(items)]
            index += 1
            await one(f"/prime?n={n}", b'{"n":%d,"prime":%d}' % (n, prime))
            if outcomes[-1].refused or since_term() > GRACE_S:
                return

    heavy = [
        one("/prime?n=1000000000000", b'{"n":1000000000000,"prime":%d}' % P_10_12)
        for _ in range(HEAVY_IN_FLIGHT)
    ]
    tasks = [
        asyncio.ensure_future(job)
        for job in [*heavy, *(cheap_client(i) for i in range(CHEAP_CLIENTS))]
    ]
    await asyncio.sleep(sigterm_after_s)
    term_at.append(loop.time())
    server.process.send_signal(signal.SIGTERM)
    await asyncio.gather(*tasks)
    code = await loop.run_in_executor(None, server.process.wait, GRACE_S + 10)
    relative = [dataclasses.replace(o, sent_s=o.sent_s - term_at[0]) for o in outcomes]
    return relative, loop.time() - term_at[0], code


def test_sigterm_under_load_answers_every_request_sent_before_it_then_refuses(launch: Any) -> None:
    with launch(
        "--workers", "2", "--pool-size", "1", "--queue-depth", "8", "--answer-cache", "0",
        "--drain", f"{DRAIN_S:g}", grace_s=GRACE_S,
    ) as server:  # fmt: skip
        outcomes, exit_s, code = asyncio.run(_load(server, sigterm_after_s=0.3))

    # Sent before the signal, or during the drain well before the listener closes.
    early = [o for o in outcomes if o.sent_s < DRAIN_S - RACE_WINDOW_S]
    around = [o for o in outcomes if o.sent_s >= DRAIN_S - RACE_WINDOW_S]
    lost = [o for o in early if not o.answered]
    unclean = [o for o in around if not (o.answered or o.refused or o.closed_unanswered)]
    figures = {
        "sent_before_sigterm": sum(o.sent_s < 0 for o in outcomes),
        "sent_during_drain": sum(0 <= o.sent_s < DRAIN_S for o in outcomes),
        "sent_after": sum(o.sent_s >= DRAIN_S for o in outcomes),
        "lost_sent_early": len(lost),
        "answered_around": sum(o.answered for o in around),
        "refused_around": sum(o.refused for o in around),
        "closed_unanswered_around": sum(o.closed_unanswered for o in around),
        "closed_unanswered_sent_s": [round(o.sent_s, 3) for o in around if o.closed_unanswered],
        "exit_s": round(exit_s, 2),
    }
    print("shutdown figures:", figures)
    assert code == 0
    assert exit_s < GRACE_S, figures
    # Every request sent before the listener closed was answered, the heavy ones included.
    assert not lost, [(o.target, o.reply) for o in lost[:5]]
    assert (
        sum(o.target.endswith("1000000000000") and o.answered for o in outcomes) == HEAVY_IN_FLIGHT
    )
    assert figures["sent_during_drain"] >= 1, figures  # the drain kept accepting
    # After the drain: answered, refused, or closed before any byte of an answer (granian
    # stops a connection whose request it has not read yet: a client may retry it).
    # Never a response cut mid-way, never a 5xx.
    assert not unclean, [(round(o.sent_s, 3), o.reply) for o in unclean[:5]]
    assert figures["closed_unanswered_around"] <= CHEAP_CLIENTS, figures
    assert figures["refused_around"] >= 1  # new connections were refused, not left hanging


def test_drain_turns_readiness_503_and_closes_kept_alive_connections(launch: Any) -> None:
    with launch("--workers", "1", "--drain", "3", grace_s=GRACE_S) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as kept:
            kept.sendall(b"GET /prime?n=7 HTTP/1.1\r\nHost: t\r\n\r\n")
            assert b"connection: close" not in kept.recv(4096).lower()
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)  # the workers poll the drain flag every 50 ms
            assert exchange(server.port, b"GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n").status == 503
            assert exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").status == 200
            kept.sendall(b"GET /prime?n=8 HTTP/1.1\r\nHost: t\r\n\r\n")
            answer = b""
            while chunk := kept.recv(4096):  # the server closes after this answer
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200") and b"connection: close" in answer.lower()
            assert answer.endswith(b'{"n":8,"prime":19}')
        code = server.process.wait(timeout=GRACE_S + 5)
    assert code == 0


def test_sigterm_through_uv_run_the_readme_form(launch: Any) -> None:
    """`uv run primebench serve` passes SIGTERM on: the in-flight request completes, all exit with 0."""

    async def heavy_then_term(server: Server) -> tuple[Reply, int]:
        request = asyncio.ensure_future(fetch(server.port, "/prime?n=1000000000000"))
        await asyncio.sleep(0.05)
        server.process.send_signal(signal.SIGTERM)
        reply = await request
        loop = asyncio.get_running_loop()
        return reply, await loop.run_in_executor(None, server.process.wait, GRACE_S + 10)

    with launch("--workers", "1", "--pool-size", "1", launcher="uv", grace_s=GRACE_S) as server:
        started = time.monotonic()
        reply, code = asyncio.run(heavy_then_term(server))
        assert time.monotonic() - started < GRACE_S
    assert reply.status == 200 and reply.body == b'{"n":1000000000000,"prime":%d}' % P_10_12
    assert code == 0
