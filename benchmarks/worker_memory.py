"""A bounded worker over many distinct heavy n: the worker's RSS, sampled as requests go by.

Issue 20's bar: 100,000 distinct n between 10^7 and 10^8, one after another over one
keep-alive connection, against `primebench serve --workers 1` with its default answer
cache (10,000 entries): once the cache is full, the worker's RSS stays within 5 MiB of
where it was. Every n is distinct, so every answer is computed in the pool and the cache
churns. Writes one JSON document with every sample; the main and pool processes are
sampled too.

    uv run python benchmarks/worker_memory.py --requests 100000 \
        --out benchmarks/results/<stamp>-worker-memory.json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import time
from pathlib import Path

import psutil

from primebench.lab.contenders import launch
from primebench.lab.host import servers

MIB = 2**20
CACHE = 10_000  # the service's default --answer-cache
BOUND_MIB = 5.0


def _roles(main: psutil.Process) -> dict[str, psutil.Process]:
    """main, worker, and each pool process of the worker's forkserver, by role."""
    found = {"main": main}
    for child in main.children():
        line = " ".join(child.cmdline())
        if "multiprocessing" in line:
            continue  # the main process's resource tracker
        found["worker"] = child
        for grandchild in child.children():
            if "forkserver" in " ".join(grandchild.cmdline()):
                for i, pool in enumerate(grandchild.children()):
                    found[f"pool-{i}"] = pool
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    ns = random.Random(args.seed).sample(range(10**7, 10**8), args.requests)
    port = servers.free_port()
    argv = [sys.executable, "-m", "primebench", "serve", "--port", str(port), "--workers", "1"]
    samples: list[dict[str, object]] = []
    started = time.monotonic()
    with servers.server(
        argv, cwd=Path.cwd(), env=dict(os.environ), host="127.0.0.1", port=port,
        cpus=None, ready_path=launch.READY_PATH, ready_check=launch.ready_check,
    ) as running:  # fmt: skip
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        roles: dict[str, psutil.Process] = {}
        for i, n in enumerate(ns, start=1):
            conn.request("GET", f"/prime?n={n}")
            answer = conn.getresponse()
            body = answer.read()
            if answer.status != 200:
                raise RuntimeError(f"n={n}: {answer.status} {body[:200]!r}")
            if i == 1:
                roles = _roles(psutil.Process(running.pid))  # the pool has started by now
            if i % args.every == 0 or i == CACHE:
                rss = {role: proc.memory_info().rss for role, proc in roles.items()}
                samples.append({"requests": i, "seconds": time.monotonic() - started, "rss": rss})
                print(i, {k: round(v / MIB, 2) for k, v in rss.items()}, flush=True)
        conn.close()
    full = next(s for s in samples if s["requests"] == CACHE)
    last = samples[-1]
    growth = (last["rss"]["worker"] - full["rss"]["worker"]) / MIB  # type: ignore[index]
    document = {
        "kind": "primebench-worker-memory",
        "schema_version": 1,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(["benchmarks/worker_memory.py", *sys.argv[1:]]),
        "settings": {"workers": 1, "answer_cache": CACHE, "n_range": [10**7, 10**8]},
        "samples": samples,
        "worker_growth_after_cache_full_mib": round(growth, 3),
        "bound_mib": BOUND_MIB,
        "verdict": "pass" if growth <= BOUND_MIB else "miss",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    print(f"worker growth after the cache was full: {growth:.2f} MiB ({document['verdict']})")
    return 0 if growth <= BOUND_MIB else 1


if __name__ == "__main__":
    sys.exit(main())
