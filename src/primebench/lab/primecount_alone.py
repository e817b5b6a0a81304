"""`python -m primebench.lab.primecount_alone N...`: primecount's nth_prime timed per N, as JSON.

The baseline of target P5: the same library call the service makes, without HTTP, the
event loop or the pool, run as its own process on the server's cores.
"""

from __future__ import annotations

import json
import sys
import time

from primecountpy import primecount


def main(argv: list[str]) -> int:
    seconds = []
    for text in argv:
        started = time.perf_counter()
        primecount.nth_prime(int(text))
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"n": [int(t) for t in argv], "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
