"""The P5/P6 probe: a real run of our service (short), and the pure verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from primebench.lab import probe, procs
from primebench.lab.contenders import Registry


def _document(ratio: float, startup: float, rss_mib: float) -> dict[str, object]:
    return {
        "schema_version": probe.PROBE_SCHEMA_VERSION,
        "huge_n": 10**12,
        "p5_ratio_median": ratio,
        "startup_s": [startup],
        "startup_s_median": startup,
        "largest_process_rss_bytes": int(rss_mib * 2**20),
    }


def test_judge_passes_and_misses() -> None:
    assert [passed for _, passed, _ in probe.judge(_document(1.1, 0.3, 50))] == [True, True, True]
    assert [passed for _, passed, _ in probe.judge(_document(1.3, 0.6, 90))] == [False, False, False]


def test_judge_refuses_unknown_schema_version() -> None:
    with pytest.raises(ValueError, match="schema_version"):
        probe.judge({**_document(1.0, 0.1, 1), "schema_version": 99})


@pytest.mark.e2e
def test_probe_runs_the_real_service(tmp_path: Path) -> None:
    settings = probe.ProbeSettings(
        Registry.load().get("primebench"), procs.cpu_split().server, huge_n=10**9, requests=2, starts=1
    )
    out = tmp_path / "probe.json"
    document = probe.run_probe(settings, out)
    assert json.loads(out.read_text()) == document
    assert len(document["served_s"]) == len(document["alone_s"]) == 2
    assert all(s > 0 for s in document["served_s"] + document["alone_s"])
    assert 0 < document["startup_s_median"] < 30
    assert document["largest_process_rss_bytes"] > 0
