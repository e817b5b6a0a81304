"""Contenders outside the repository: search order, clashes, and the CLI's one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from primebench import cli
from primebench.errors import UserError
from primebench.lab.contenders.registry import ManifestError, Registry, search_dirs
from tests.lab.conftest import ManifestWriter


def contender(directory: Path, name: str, order: int = 1000) -> Path:
    """A minimal valid manifest at directory/name/contender.toml."""
    path = directory / name / "contender.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        f'name = "{name}"\norder = {order}\nlanguage = "Python"\ndescription = "{directory.name}"\n'
        'run = ["{python}", "server.py"]\nversion = ["{python}", "--version"]\n'
        '[artifact]\nkind = "runtime+deps"\npaths = ["contender.toml"]\nlabel = "manifest"\n',
        encoding="utf-8",
    )
    return path


def test_search_dirs_flags_then_environment() -> None:
    environ = {"PRIMEBENCH_CONTENDERS_DIR": os.pathsep.join(["/e1", "", "/e2"])}
    assert search_dirs([Path("/f1"), Path("/f2")], environ) == tuple(
        Path(p) for p in ("/f1", "/f2", "/e1", "/e2")
    )
    assert search_dirs([], {}) == ()


def test_extra_dirs_are_searched_after_the_builtin_ones(
    manifest_root: ManifestWriter, tmp_path: Path
) -> None:
    root = manifest_root("builtin")
    first, second = tmp_path / "first", tmp_path / "second"
    contender(first, "zeta", order=5)
    contender(second, "alpha")
    registry = Registry.load(root, [first, second])
    assert registry.names() == ["zeta", "alpha", "builtin"]  # table order: order, then name
    assert [c.builtin for c in registry.contenders] == [False, False, True]
    assert registry.get("alpha").directory == (second / "alpha").resolve()
    assert registry.get("zeta").root == root.resolve()  # {root} is still the checkout's


def test_a_name_clash_with_a_builtin_is_refused(
    manifest_root: ManifestWriter, tmp_path: Path
) -> None:
    root = manifest_root("go-seed")
    mine = contender(tmp_path / "mine", "go-seed").parent.resolve() / "contender.toml"
    builtin = (root / "contenders" / "go-seed").resolve() / "contender.toml"
    with pytest.raises(ManifestError) as info:
        Registry.load(root, [tmp_path / "mine"])
    assert str(info.value) == (
        f"{mine}: key 'name' 'go-seed' is taken by the built-in contender {builtin}; "
        "rename the directory and its name"
    )


def test_a_clash_between_extra_dirs_names_the_earlier_one(
    manifest_root: ManifestWriter, tmp_path: Path
) -> None:
    root = manifest_root("builtin")
    first = contender(tmp_path / "a", "mine").parent.resolve() / "contender.toml"
    second = contender(tmp_path / "b", "mine").parent.resolve() / "contender.toml"
    with pytest.raises(ManifestError) as info:
        Registry.load(root, [tmp_path / "b", tmp_path / "a"])
    assert str(info.value) == (
        f"{first}: key 'name' 'mine' is taken by {second}, found earlier in the search order "
        "(--contenders-dir in order, then $PRIMEBENCH_CONTENDERS_DIR); rename one of them"
    )


def test_the_same_dir_twice_is_not_a_clash(manifest_root: ManifestWriter, tmp_path: Path) -> None:
    root = manifest_root("builtin")
    contender(tmp_path / "mine", "mine")
    registry = Registry.load(root, [tmp_path / "mine", tmp_path / "mine", root / "contenders"])
    assert registry.names() == ["builtin", "mine"]


def test_a_dir_must_hold_contender_directories(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        Registry.load(None, [tmp_path / "nowhere"])
    assert str(info.value) == (
        f"contenders directory {tmp_path / 'nowhere'} does not exist or is not a directory"
    )
    manifest = contender(tmp_path, "mine")
    with pytest.raises(UserError) as info:
        Registry.load(None, [manifest.parent])
    assert str(info.value) == (
        f"{manifest}: a contenders directory holds one directory per contender "
        f"(DIR/<name>/contender.toml); pass its parent, {tmp_path.resolve()}"
    )


@pytest.mark.parametrize("command", ["verify", "bench"])
def test_cli_reports_a_broken_manifest_in_one_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = contender(tmp_path, "mine")
    manifest.write_text(manifest.read_text().replace("order = 1000", "order = 'first'"))
    argv = [command, "--contenders-dir", str(tmp_path), "--contenders", "mine"]
    assert cli.main([*argv, "--out", str(tmp_path / "out")] if command == "bench" else argv) == 1
    err = capsys.readouterr().err
    assert err == (
        f"primebench: error: {manifest.parent.resolve() / 'contender.toml'}: key 'order' must be "
        "an integer (table order, default 1000), got 'first'\n"
    )


def test_cli_reads_the_environment_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    contender(tmp_path, "go-seed")
    monkeypatch.setenv("PRIMEBENCH_CONTENDERS_DIR", str(tmp_path))
    assert cli.main(["verify", "--contenders", "go-seed"]) == 1
    assert "is taken by the built-in contender" in capsys.readouterr().err
