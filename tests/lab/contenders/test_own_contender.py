"""End to end: docs/CONTENDERS.md's contender, written to a directory outside the repository,
verified and benched through the `primebench` command with a real load generator."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from primebench.lab.contenders.registry import default_root
from primebench.lab.model import results
from primebench.lab.run.loadgen import Generator, locate

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "CONTENDERS.md"
FILE_BLOCK = re.compile(r"<!-- file: (\S+) -->\n```\w*\n(.*?)\n```", re.DOTALL)


def write_guide_files(directory: Path) -> list[Path]:
    """The files the guide shows (each block marked `<!-- file: PATH -->`), under directory."""
    written = []
    for relative, text in FILE_BLOCK.findall(GUIDE.read_text(encoding="utf-8")):
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)
    return written


def primebench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "primebench", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_the_guide_shows_a_server_and_its_manifest(tmp_path: Path) -> None:
    names = sorted(p.relative_to(tmp_path).as_posix() for p in write_guide_files(tmp_path))
    assert names == ["mine/contender.toml", "mine/server.py"]


@pytest.mark.e2e
def test_a_contender_outside_the_repository_is_verified_and_benched(tmp_path: Path) -> None:
    assert locate(Generator.AUTOCANNON, default_root()), "autocannon missing: run scripts/setup"
    outside = tmp_path / "my-contenders"
    write_guide_files(outside)
    work = tmp_path / "cwd"  # not the checkout: the contender must be found by the flag alone
    work.mkdir()

    verify = primebench(
        "verify", "--contenders-dir", str(outside), "--contenders", "mine",
        "--json", str(tmp_path / "verify.json"), cwd=work,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    (checked,) = json.loads((tmp_path / "verify.json").read_text())["contenders"]
    assert checked["available"] and checked["ok"]
    conformance = checked["conformance"]
    assert conformance["ok"] and conformance["healthy_after"]
    bad = {case["case"]: case["status"] for case in conformance["bad_inputs"]}
    assert bad == {"abc": 400, "0": 400, "-1": 400, "1.5": 400, "n=5&n=7": 200, "huge": 400}

    bench = primebench(
        "bench", "--contenders-dir", str(outside), "--contenders", "mine",
        "--scenario", "article", "--duration", "1", "--rounds", "1", "--warmup", "0",
        "--connections", "4", "--n", "1000", "--out", str(tmp_path / "results"), cwd=work,
    )  # fmt: skip
    assert bench.returncode == 0, bench.stderr
    assert "| mine" in bench.stdout  # the Markdown table names it
    (path,) = (tmp_path / "results").glob("*-article.json")
    document = results.load(path)
    (info,) = document.contenders
    assert (info.name, info.language, info.available) == ("mine", "Python (standard library)", True)
    assert info.artifact is not None and info.artifact.bytes > 0
    (scenario,) = document.scenarios
    run = scenario.result("mine")
    assert run is not None and run.status == "ok", run
    (point,) = run.points
    assert point.status == "ok" and point.params["n"] == 1000
    (measured,) = [r for r in point.runs if r.kind == "measured"]
    assert measured.load is not None and measured.load.tool == "autocannon"
    assert measured.load.requests > 0 and measured.load.errors == measured.load.non_2xx == 0
    assert not psutil.Process().children(recursive=True)
