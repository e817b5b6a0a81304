"""manifest: every kind of mistake in a contender.toml gets one exact line naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from primebench.errors import UserError
from primebench.lab.contenders.manifest import ArtifactKind, Contract, ManifestError, parse

GOOD = """\
name = "mine"
language = "Python"
description = "a test contender"
run = ["{python}", "server.py"]
version = ["{python}", "--version"]

[artifact]
kind = "runtime+deps"
paths = ["server.py"]
label = "server.py"
"""
TOP_KEYS = (
    "name, order, language, description, differs_from_article, algorithm, contract, requires, "
    "build, run, version, env, artifact"
)
ARGV = "a non-empty list of non-empty strings (an argv)"


def write(tmp_path: Path, text: str, directory: str = "mine") -> Path:
    path = tmp_path / directory / "contender.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error(tmp_path: Path, text: str, directory: str = "mine") -> tuple[str, Path]:
    path = write(tmp_path, text, directory)
    with pytest.raises(ManifestError) as info:
        parse(path, root=tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert isinstance(info.value, UserError)  # the CLI prints it as one error line, exit 1
    return message, path


def replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_a_good_manifest_gets_its_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    c = parse(path, root=tmp_path, builtin=False)
    assert (c.name, c.order, c.contract, c.differs_from_article) == (
        "mine",
        1000,
        Contract.SEED,
        "",
    )
    assert (c.requires, c.build, dict(c.env)) == ((), (), {})
    assert c.run == ("{python}", "server.py")
    assert c.artifact.kind is ArtifactKind.RUNTIME_DEPS
    assert c.directory == path.parent.resolve() and c.manifest == path.parent.resolve() / path.name
    assert (c.root, c.builtin) == (tmp_path, False)


def test_algorithm_defaults_to_the_articles_and_is_read(tmp_path: Path) -> None:
    assert parse(write(tmp_path, GOOD), root=tmp_path).algorithm == "trial division, as the article"
    sieve = write(tmp_path, 'algorithm = "sieve"\n' + GOOD, directory="sieve-mine")
    sieve.write_text(sieve.read_text().replace('name = "mine"', 'name = "sieve-mine"'))
    assert parse(sieve, root=tmp_path).algorithm == "sieve"


def test_toml_syntax_error_keeps_line_and_column(tmp_path: Path) -> None:
    message, path = error(tmp_path, GOOD.replace('language = "Python"', "language Python"))
    assert message == (
        f"{path}: invalid TOML: Expected '=' after a key in a key/value pair (at line 2, column 10)"
    )


def test_missing_key(tmp_path: Path) -> None:
    message, path = error(tmp_path, replace('run = ["{python}", "server.py"]\n', ""))
    assert message == (
        f"{path}: missing key 'run' (required: name, language, description, run, version, artifact)"
    )


def test_unknown_key(tmp_path: Path) -> None:
    message, path = error(tmp_path, 'colour = "blue"\n' + GOOD)
    assert message == f"{path}: unknown key 'colour' (allowed: {TOP_KEYS})"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "order",
            "order = 1.5",
            "key 'order' must be an integer (table order, default 1000), got 1.5",
        ),
        (
            "order",
            "order = true",
            "key 'order' must be an integer (table order, default 1000), got True",
        ),
        ('language = "Python"', "language = 3", "key 'language' must be a non-empty string, got 3"),
        (
            'description = "a test contender"',
            'description = " "',
            "key 'description' must be a non-empty string, got ' '",
        ),
        (
            "differs",
            "differs_from_article = []",
            "key 'differs_from_article' must be a string, got []",
        ),
        ("algorithm", 'algorithm = ""', "key 'algorithm' must be a non-empty string, got ''"),
        ("algorithm", "algorithm = 3", "key 'algorithm' must be a non-empty string, got 3"),
        (
            'run = ["{python}", "server.py"]',
            'run = "python server.py"',
            f"key 'run' must be {ARGV}, got 'python server.py'",
        ),
        (
            'run = ["{python}", "server.py"]',
            'run = ["python", ""]',
            f"key 'run' must be {ARGV}, got ['python', '']",
        ),
        (
            'version = ["{python}", "--version"]',
            "version = []",
            f"key 'version' must be {ARGV}, got []",
        ),
        (
            "requires",
            'requires = "node"',
            "key 'requires' must be a list of non-empty strings (executables, or ./paths), got 'node'",
        ),
        (
            "build",
            'build = ["make"]',
            f"key 'build' must be a list of argv lists, each {ARGV}, got ['make']",
        ),
        ("env", "env = 3", "key 'env' must be a table of string values, got 3"),
    ],
)
def test_wrong_type(tmp_path: Path, old: str, new: str, expected: str) -> None:
    text = GOOD.replace(old, new) if old in GOOD else new + "\n" + GOOD
    message, path = error(tmp_path, text)
    assert message == f"{path}: {expected}"


def test_bad_enum_value(tmp_path: Path) -> None:
    message, path = error(tmp_path, 'contract = "lenient"\n' + GOOD)
    assert message == f"{path}: key 'contract' must be one of seed, strict, got 'lenient'"
    message, path = error(tmp_path, replace('kind = "runtime+deps"', 'kind = "docker"'))
    assert message == (
        f"{path}: key 'artifact.kind' must be one of binary, runtime+deps, got 'docker'"
    )


def test_name_must_equal_the_directory(tmp_path: Path) -> None:
    message, path = error(tmp_path, GOOD, directory="yours")
    assert message == f"{path}: key 'name' must equal the directory name 'yours', got 'mine'"


def test_artifact_table_mistakes(tmp_path: Path) -> None:
    message, path = error(tmp_path, replace('label = "server.py"\n', ""))
    assert message == f"{path}: missing key 'artifact.label' (required: kind, paths, label)"
    message, path = error(tmp_path, GOOD + "size = 3\n")
    assert message == f"{path}: unknown key 'artifact.size' (allowed: kind, paths, label)"
    message, path = error(tmp_path, replace('paths = ["server.py"]', 'paths = "server.py"'))
    assert message == (
        f"{path}: key 'artifact.paths' must be a non-empty list of non-empty strings "
        "(files, dirs or placeholders), got 'server.py'"
    )
    text = GOOD.split("[artifact]")[0] + 'artifact = "server.py"\n'
    message, path = error(tmp_path, text)
    assert message == (
        f"{path}: key 'artifact' must be a table with keys kind, paths, label, got 'server.py'"
    )


def test_env_values_must_be_strings(tmp_path: Path) -> None:
    text = GOOD.replace("[artifact]", "[env]\nWORKERS = 4\n\n[artifact]")
    message, path = error(tmp_path, text)
    assert message == f"{path}: key 'env.WORKERS' must be a string, got 4"


def test_long_values_are_shortened_to_keep_one_line(tmp_path: Path) -> None:
    message, path = error(tmp_path, f'order = "{"x" * 200}"\n' + GOOD)
    shown = repr("x" * 200)[:57] + "..."
    assert message == (
        f"{path}: key 'order' must be an integer (table order, default 1000), got {shown}"
    )
