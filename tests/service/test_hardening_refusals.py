"""Refusals at arrival: a sustained flood of heavy n, one new connection per request.

Issue 20: with 300 clients for 8 s and n near 10^12 (so no answer cache helps), 39 of
44,435 `503 overloaded` came 1 to 4.8 s after their request was sent: the pool admitted a
burst, queued it, then refused the surplus once its cost model learned more. Now the one
decision is taken at arrival; an admitted request is answered, or gets
`deadline-exceeded` only if its own deadline passes.

The flood runs in a child process (an asyncio client), closed loop: each client sends its
next request when the last one is answered, and times each from the moment its bytes were
sent, so connection set-up is not counted against the server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from primebench.service.settings import Settings
from tests.servers import Server, start_server

pytestmark = pytest.mark.e2e

FLOOD_SECONDS = 4.0
LATE_S = 0.5  # the client-side bar for a refusal
DEADLINE_S = Settings().deadline  # the server below keeps the default --deadline

# argv: port, clients, seconds. Prints {"replies": [[status, slug, seconds], ...], "errors": [...]}.
SUSTAINED_FLOOD = r"""
import asyncio, json, random, sys, time
port, clients, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
replies, errors = [], []
async def client(seed):
    rng = random.Random(seed)
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        n = rng.randrange(10**12, 10**12 + 10**10)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET /prime?n={n} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            sent = time.monotonic()
            data = await asyncio.wait_for(reader.read(), 30)
            waited = time.monotonic() - sent
            writer.close()
        except Exception as exc:
            errors.append(repr(exc))
            continue
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 "):
            errors.append(f"no answer: {data[:80]!r}")
            continue
        status = int(head[9:12])
        slug = json.loads(body)["type"].rsplit(":", 1)[-1] if status != 200 else ""
        replies.append([status, slug, waited])
async def main():
    await asyncio.gather(*(client(i) for i in range(clients)))
asyncio.run(main())
print(json.dumps({"replies": replies, "errors": errors}))
"""


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with start_server() as running:  # the defaults: a pool per worker, the default queue
        yield running


def _flood(port: int, clients: int) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", SUSTAINED_FLOOD, str(port), str(clients), str(FLOOD_SECONDS)],
        capture_output=True,
        text=True,
        timeout=FLOOD_SECONDS + 60,
        check=True,
    )
    flood: dict[str, Any] = json.loads(result.stdout)
    return flood


@pytest.mark.parametrize("clients", [200, 300])
def test_every_refusal_is_at_arrival_and_every_admitted_request_is_answered(
    server: Server, clients: int
) -> None:
    flood = _flood(server.port, clients)
    replies: list[tuple[int, str, float]] = [tuple(r) for r in flood["replies"]]
    refused = [r for r in replies if r[1] == "overloaded"]
    late = [r for r in refused if r[2] > LATE_S]
    counts = {
        "requests": len(replies),
        "200": sum(r[0] == 200 for r in replies),
        "503 overloaded": len(refused),
        "503 deadline-exceeded": sum(r[1] == "deadline-exceeded" for r in replies),
        "refused later than 0.5 s": len(late),
        "slowest refusal ms": round(max((r[2] for r in refused), default=0.0) * 1000, 1),
        "client errors": len(flood["errors"]),
    }
    print(f"{clients} clients, {FLOOD_SECONDS:g} s:", counts)
    assert not flood["errors"], flood["errors"][:5]
    assert {r[0] for r in replies} <= {200, 503}, counts
    assert {r[1] for r in replies if r[0] == 503} <= {"overloaded", "deadline-exceeded"}
    assert counts["200"] > 0 and refused, counts  # the flood was larger than the pool
    assert late == [], counts
    # The issue allows `deadline-exceeded` for an admitted job whose own deadline passed: on
    # a loaded machine (CI: 9 of 109 admitted at 300 clients, the flood client taking a core)
    # the pool runs slower than its cost model learned. Each must be that, never a refusal
    # in disguise, and admission must still have left room for most admitted jobs.
    expired = [r for r in replies if r[1] == "deadline-exceeded"]
    assert all(r[2] >= DEADLINE_S - 0.05 for r in expired), counts
    assert len(expired) * 4 <= counts["200"], counts
