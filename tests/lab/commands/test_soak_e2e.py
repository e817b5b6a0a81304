"""End to end, the soak on our service: the command line, a capacity probe of the mix,
windows of real oha load, each server process's memory apart, the slope table rendered.
Four windows of 0.5 s (oha's shortest run): seconds, not the half hour a real soak runs
(was 2 s each, then 1 s; what is checked is that every window is recorded, not a figure)."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from primebench.cli import main
from primebench.lab.model import results
from tests.toolchains import require

pytestmark = pytest.mark.e2e


def test_a_short_soak_of_primebench_records_windows_and_every_process(
    tmp_path: Path,
) -> None:
    require("oha")
    out = tmp_path / "results"
    argv = ["bench", "--scenario", "soak", "--contenders", "primebench", "--out", str(out)]
    argv += ["--duration", "2", "--window", "0.5", "--warmup", "0.5", "--seed", "3"]
    assert main(argv) == 0
    (path,) = out.glob("*-soak.json")
    report = path.with_suffix(".md").read_text()  # every table (the terminal shows a summary)
    document = results.load(path)
    (scenario,) = document.scenarios
    (run,) = scenario.results
    assert (run.contender, run.status) == ("primebench", "ok")
    assert run.probe is not None and run.probe.load is not None and run.probe.load.req_per_s > 0
    assert [p.key for p in run.points] == [f"window={i:04d}" for i in range(1, 5)]
    assert [p.params["warmup"] for p in run.points] == [True, False, False, False]
    rate = run.points[0].params["rate"]
    assert rate > 0 and all(p.params["rate"] == rate for p in run.points)
    for point in run.points:
        (trial,) = point.runs  # one trial a window, no warm-up run
        assert trial.status == "ok" and trial.load is not None, trial.reason
        assert trial.load.offered_rate == rate and trial.load.requests > 0
        assert trial.processes is not None
        roles = [p.role for p in trial.processes]
        assert roles[0] == "main" and "worker" in roles and "pool" in roles
    oha = json.loads(
        (out / path.stem / "primebench" / "window=0002-measured0-main-oha.json").read_text()
    )
    assert oha["argv"][-1].endswith(
        "\\?n=(" + "|".join(["[1-9][0-9]{0,3}"] * 19 + ["9[0-9]{7}"]) + ")"
    )

    assert "### soak: memory slope after warm-up" in report
    assert "| primebench | worker |" in report and "| primebench | all | tree | 3 |" in report
    assert "### soak: primebench, window by window" in report
    assert psutil.Process().children(recursive=True) == []
