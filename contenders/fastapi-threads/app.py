"""fastapi-seed with the usual advice for blocking work taken: a plain `def` handler.

FastAPI runs a `def` endpoint in its thread pool (anyio, 40 threads), so the event loop
stays free to accept and parse; the loop itself still holds the GIL while it computes.
One process per core (`--workers`), as fastapi-seed.
"""

import math

from fastapi import FastAPI

app = FastAPI()


def is_prime(num: int) -> bool:
    s = int(math.sqrt(num))
    for i in range(2, s + 1):
        if num % i == 0:
            return False
    return num > 1


def find_nth_prime(n: int) -> int:
    count = 0
    num = 2
    while count < n:
        if is_prime(num):
            count += 1
        num += 1
    return num - 1


@app.get("/prime")
def prime(n: int = 10000) -> dict[str, int]:
    return {"n": n, "prime": find_nth_prime(n)}
