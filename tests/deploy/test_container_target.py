"""`primebench bench --target`: the lab measures a deployment it did not start (the container).

No build, start, stop or server pinning for the target (recorded as such), the generator's
pinning still recorded, and its answers verified like any contender's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from primebench.cli import main
from primebench.lab.host import resources
from primebench.lab.model import results
from tests.toolchains import require

pytestmark = [pytest.mark.container, pytest.mark.e2e, pytest.mark.timeout(900)]


def test_bench_target_measures_the_running_container(
    primebench_container_url: str, tmp_path: Path
) -> None:
    require("wrk")
    argv = ["bench", "--scenario", "floor", "--connections", "100"]
    argv += ["--target", f"pod={primebench_container_url}"]
    argv += ["--rounds", "3", "--duration", "1", "--warmup", "0", "--out", str(tmp_path)]

    assert main(argv) == 0

    (path,) = tmp_path.glob("*.json")
    document = results.load(path)
    (scenario,) = document.scenarios
    pod = scenario.result("pod")
    assert pod is not None and pod.status == "ok", pod
    assert (pod.arm, pod.url) == ("target", primebench_container_url)
    assert pod.conformance is not None and pod.conformance.ok
    (point,) = pod.points
    assert point.server_cpus == () and point.parallelism is None
    assert point.generator_cpus == tuple(sorted(resources.cpu_split().generator))
    assert len(point.runs) == 6  # 3 mirrored rounds of two legs
    assert all(r.server_cpu_s is None for r in point.runs)
    median = point.median("req_per_s")
    assert median is not None and median > 100  # the container answers n=1 from its table
    info = document.contender("pod")
    assert info is not None and "not built, started, stopped or pinned" in info.description
