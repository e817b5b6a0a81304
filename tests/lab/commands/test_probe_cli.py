"""`primebench probe --out`: a file, or a directory as bench's `--out` takes it."""

from __future__ import annotations

from pathlib import Path

from primebench.lab.commands.probe import results_path


def test_out_is_a_file_a_directory_or_the_default(tmp_path: Path) -> None:
    stamp = "20261206T101048Z"
    assert results_path(tmp_path / "x.json", stamp) == tmp_path / "x.json"
    assert results_path(tmp_path, stamp) == tmp_path / f"{stamp}-probe.json"
    assert results_path(None, stamp) == Path("results") / f"{stamp}-service_targets.json"
