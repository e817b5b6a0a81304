"""Big-n latency beside a busy neighbour core: the service vs primecount alone on one thread.

Issue 11's bar: p(n~10^12) answered by `primebench serve` (defaults, both cores, so 2
workers x 1 pool process x 1 primecount thread) while another process keeps core 1 busy,
against primecount alone (OMP_NUM_THREADS=1, not pinned) beside the same neighbour.
Rounds alternate the two arms; every n is fresh, so the answer cache never serves one.
Writes one JSON document with every measurement; the verdict comes from the lab's own
`verdicts.compare` (paired per-round ratios, 95 % bootstrap interval).

    uv run python benchmarks/neighbour.py --rounds 10 --out benchmarks/results/<stamp>-neighbour.json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from primebench.lab.contenders import launch
from primebench.lab.host import servers
from primebench.lab.model.verdicts import compare

N = 10**12


def served_seconds(port: int, n: int) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    conn.request("GET", f"/prime?n={n}")
    answer = conn.getresponse()
    body = answer.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if answer.status != 200:
        raise RuntimeError(f"n={n}: {answer.status} {body[:200]!r}")
    return elapsed


def alone_seconds(n: int) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    argv = [sys.executable, "-m", "primebench.lab.run.primecount_alone", "--warmup", "1", str(n)]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    return float(json.loads(out)["seconds"][0])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    port = servers.free_port()
    neighbour = subprocess.Popen(["taskset", "-c", "1", sys.executable, "-c", "while True: pass"])
    argv = [sys.executable, "-m", "primebench", "serve", "--port", str(port)]
    served: list[float] = []
    alone: list[float] = []
    try:
        with servers.server(
            argv, cwd=Path.cwd(), env=dict(os.environ), host="127.0.0.1", port=port,
            cpus=None, ready_path=launch.READY_PATH, ready_check=launch.ready_check,
        ) as running:  # fmt: skip
            served_seconds(port, N - 10**7)  # wakes the pool
            for _ in range(args.rounds):
                n_served, n_alone = (N - rng.randrange(10**6) for _ in range(2))
                arms = [("served", n_served), ("alone", n_alone)]
                rng.shuffle(arms)
                for arm, n in arms:
                    if arm == "served":
                        served.append(served_seconds(port, n))
                    else:
                        alone.append(alone_seconds(n))
            del running
    finally:
        neighbour.kill()
        neighbour.wait()
    result = compare(
        "latency_s", "primebench", "primecount-alone", served, alone,
        higher_is_better=False, noise_halfwidth=None, seed=args.seed,
    )  # fmt: skip
    document = {
        "kind": "primebench-neighbour",
        "schema_version": 1,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(sys.argv),
        "served_s": served,
        "alone_s": alone,
        "comparison": result.to_json(),
        "bar": "ratio <= 1.3",
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    print(json.dumps(document["comparison"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
