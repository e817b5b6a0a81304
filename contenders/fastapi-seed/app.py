"""The article's handler as a Python developer writes it after reading the article: FastAPI.

`async def`, so the trial-division loop runs on the event loop and blocks it, as the
Node server's handler does; uvicorn runs one such process per core (`--workers`).
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
async def prime(n: int = 10000) -> dict[str, int]:
    return {"n": n, "prime": find_nth_prime(n)}
