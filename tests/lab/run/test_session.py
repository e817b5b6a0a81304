"""session: what a bench records of each contender before it measures anything."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from primebench.lab.contenders.registry import Registry
from primebench.lab.host import resources
from primebench.lab.model import codec, results
from primebench.lab.pages import markdown
from primebench.lab.run import session
from tests.lab.conftest import ManifestWriter
from tests.lab.golden_util import FIXTURE


def _settings(registry: Registry, tmp_path: Path) -> session.BenchSettings:
    return session.BenchSettings(
        registry=registry,
        tools_root=tmp_path,
        contenders=("mine",),
        scenarios=(),
        pinning=resources.cpu_split(),
        out_json=tmp_path / "results" / "bench.json",
        progress=lambda line: None,
    )


def test_a_contender_dirs_algorithm_is_recorded_and_shown(
    manifest_root: ManifestWriter, tmp_path: Path
) -> None:
    """`algorithm = "sieve"` in a --contenders-dir manifest: the document and the table say so."""
    mine = manifest_root("mine", extra='algorithm = "sieve"') / "contenders"
    registry = Registry.load(dirs=(mine,))
    info = session._prepare(registry.get("mine"), _settings(registry, tmp_path))
    assert (info.name, info.available, info.algorithm) == ("mine", True, "sieve")

    fixture = results.load(FIXTURE)
    path = tmp_path / "with-mine.json"
    results.save(dataclasses.replace(fixture, contenders=(*fixture.contenders, info)), path)
    report = markdown.render(results.load(path))
    (row,) = [line for line in report.splitlines() if line.startswith("| Algorithm |")]
    assert row.endswith(
        "| differs: a sieved prime table, then primecount; no trial division | sieve |"
    )


def test_a_contender_without_the_key_is_recorded_as_the_articles(
    manifest_root: ManifestWriter, tmp_path: Path
) -> None:
    mine = manifest_root("mine") / "contenders"
    registry = Registry.load(dirs=(mine,))
    info = session._prepare(registry.get("mine"), _settings(registry, tmp_path))
    assert info.algorithm == "trial division, as the article"
    assert codec.dump(info)["algorithm"] == "trial division, as the article"


def test_twin_adds_an_a_a_arm_for_each_named_contender_once(
    manifest_root: ManifestWriter, tmp_path: Path
) -> None:
    """--calibrate twins the baseline; --twin another contender; a name twice, or one that is
    not a contender of the run, adds nothing (the latter is said)."""
    manifest_root("go-seed")
    root = manifest_root("bare", extra="order = 1")
    registry = Registry.load(root)
    said: list[str] = []
    settings = dataclasses.replace(
        _settings(registry, tmp_path),
        contenders=("go-seed", "bare"),
        calibrate=True,
        twins=("bare", "go-seed", "absent"),
        progress=said.append,
    )
    selected = [registry.get("go-seed"), registry.get("bare")]
    infos = {c.name: session._prepare(c, settings) for c in selected}
    said.clear()  # the builds' lines
    arms = session._arms(selected, infos, settings)
    assert [(a.name, a.kind) for a in arms] == [
        ("go-seed", "contender"),
        ("bare", "contender"),
        ("go-seed#aa", "aa"),
        ("bare#aa", "aa"),
    ]
    assert infos["bare#aa"].name == "bare#aa"
    assert said == ["[bench] --twin absent: not a contender of this run; no A/A arm"]
