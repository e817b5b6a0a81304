"""`python -m primebench.lab.run.primecount_alone [--warmup W] N...`: time primecount's nth_prime.

The baseline of target P5: the same library call the service makes, without HTTP, the
event loop or the pool, run as its own process on the server's core. The service answers
from a warm pool process, so the baseline gets a warm-up call too (`--warmup W`, not
timed: first-call costs of a fresh process are not the library's). Prints one JSON line:
{"n": [...], "prime": [...], "seconds": [...]}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from primecountpy import primecount


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="primecount_alone", description=__doc__)
    parser.add_argument("--warmup", type=int, default=None, help="an n computed first, untimed")
    parser.add_argument("n", type=int, nargs="+")
    args = parser.parse_args(argv)
    if args.warmup is not None:
        primecount.nth_prime(args.warmup)
    primes, seconds = [], []
    for n in args.n:
        started = time.perf_counter()
        primes.append(int(primecount.nth_prime(n)))
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"n": args.n, "prime": primes, "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
