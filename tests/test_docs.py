"""The docs name files that exist: a moved module must not leave a stale map behind.

Every path the README and docs/ cite in backticks (`lab/run/rounds.py`,
`tests/lab/run/test_rounds.py`, `scripts/test`, `src/primebench/...`) is checked
against the tree. Paths under `lab/` are read relative to `src/primebench/`; a brace
group (`lab/host/{processes,servers}.py`) expands to each name. Paths that are outputs
or examples (results documents to be written, `~/...`, placeholders) are not paths of
this tree and are skipped by shape, not by list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
TREE_PREFIXES = ("src/", "tests/", "scripts/", "lab/", "docs/", "deploy/", "contenders/")
CITED = re.compile(r"`([A-Za-z0-9_./{},*-]+)`")


def expand(path: str) -> Iterator[str]:
    match = re.search(r"\{([^{}]+)\}", path)
    if match is None:
        yield path
        return
    for choice in match.group(1).split(","):
        yield from expand(path[: match.start()] + choice + path[match.end() :])


def cited_paths(text: str) -> Iterator[str]:
    for raw in CITED.findall(text):
        if not raw.startswith(TREE_PREFIXES) or "*" in raw or "<" in raw:
            continue
        for path in expand(raw):
            if re.search(r"\.(py|sh|md|json|toml|lua|yaml)$", path) or path.endswith("/"):
                yield path


def exists(path: str) -> bool:
    if path.startswith("lab/"):
        return (ROOT / "src" / "primebench" / path).exists()
    return (ROOT / path).exists()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_cited_path_exists(doc: Path) -> None:
    missing = sorted({p for p in cited_paths(doc.read_text(encoding="utf-8")) if not exists(p)})
    assert not missing, f"{doc.relative_to(ROOT)} cites paths that do not exist: {missing}"


def test_the_check_reads_the_docs() -> None:
    """A changed citation style must not make the test above pass vacuously."""
    assert sum(len(list(cited_paths(d.read_text(encoding="utf-8")))) for d in DOCS) > 30
