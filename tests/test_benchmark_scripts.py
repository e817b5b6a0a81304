"""The benchmark scripts that render committed documents (benchmarks/*.py)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUN_AC = ROOT / "benchmarks" / "results" / "20261206T141726Z-floor.json"


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cpu_by_round(doc: Any, arm: str, key: str) -> dict[int, list[float]]:
    found: dict[int, list[float]] = {}
    for run in doc["scenarios"][0]["results"]:
        for point in run["points"] if run["contender"] == arm else []:
            for trial in point["runs"] if point["key"] == key else []:
                if trial["kind"] == "measured" and trial["status"] == "ok":
                    found.setdefault(trial["index"], []).append(trial["cpu_s_per_request"])
    return found


def test_cpu_per_request_ratio_is_the_geometric_mean_of_the_raw_trials() -> None:
    """Checked with numpy over the document's raw trials, not through the lab's pairing."""
    script = _script("cpu_per_request")
    table = script.render(
        script.results.load(RUN_AC), [("primebench", "bare-httptools")], "go-seed"
    )
    doc = json.loads(RUN_AC.read_text())
    ours = _cpu_by_round(doc, "primebench", "c=64")
    bare = _cpu_by_round(doc, "bare-httptools", "c=64")
    # a mirrored round's two legs count as their geometric mean; requests per CPU-s = 1 / CPU
    logs = [np.mean(np.log(bare[r])) - np.mean(np.log(ours[r])) for r in ours.keys() & bare.keys()]
    expected = math.exp(float(np.mean(logs)))
    row = next(line for line in table.splitlines() if line.startswith("| primebench / bare"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert float(cells[2].split()[0]) == round(expected, 3)  # c=64, the second point
    assert "A/A noise floor on this metric: c=16 ±" in table
