"""No switch on a scenario's name outside `lab.scenarios`, checked on every module's syntax.

Each scenario is one module that owns everything about it; the rest of the lab asks the
scenario object (`settings.scenario`, `scenarios.view(name)`) instead of testing which
one it is. A comparison with a scenario's name (`name == "convoy"`, `name in ("rate",
"convoy")`, a `match` case, `ScenarioName.CORES`, a table keyed by two or more scenario
names like `{"sweep": ..., "rate": ...}`) anywhere else in `src` fails here. Looking a
scenario up by name as data (`doc.scenario("convoy")`), or one key that happens to be
a scenario's word (`{"n": 1, "cores": 2}`), is not a switch.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from primebench.lab.scenarios import NAMES

SRC = Path(__file__).resolve().parents[1] / "src"
OWNER = Path("primebench", "lab", "scenarios")


def _names_in(node: ast.AST, names: frozenset[str]) -> Iterator[str]:
    """Scenario names a comparison operand spells: a string, or a tuple/list/set of them."""
    if isinstance(node, ast.Constant) and node.value in names:
        yield node.value
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for item in node.elts:
            yield from _names_in(item, names)


def _spelled(node: ast.AST) -> str:
    """The identifier a name (`x`) or an attribute (`a.x`) spells, else ''."""
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def switches(tree: ast.AST, names: frozenset[str]) -> Iterator[tuple[int, str]]:
    """(line, what) for every test of a scenario's name in `tree`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                for name in _names_in(operand, names):
                    yield node.lineno, f"compares with {name!r}"
        elif isinstance(node, ast.MatchValue):
            for name in _names_in(node.value, names):
                yield node.lineno, f"matches {name!r}"
        elif isinstance(node, ast.Dict):
            keyed = [name for key in node.keys if key for name in _names_in(key, names)]
            if len(keyed) >= 2:
                yield node.lineno, f"is a table keyed by {', '.join(map(repr, keyed))}"
        elif _spelled(node) == "ScenarioName":
            yield node.lineno, "uses ScenarioName"


def found_in(src: Path, names: frozenset[str]) -> list[str]:
    found = []
    for path in sorted(src.rglob("*.py")):
        relative = path.relative_to(src)
        if relative.is_relative_to(OWNER):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += [f"{relative}:{line} {what}" for line, what in sorted(switches(tree, names))]
    return found


def test_no_scenario_name_is_tested_outside_the_scenario_modules() -> None:
    found = found_in(SRC, frozenset(NAMES))
    assert not found, "ask the scenario object instead:\n" + "\n".join(found)


# --- the checker itself, on throw-away trees ------------------------------------------


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_checker_finds_every_form_of_a_switch(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "primebench/lab/run/rounds.py",
        'if name == "convoy":\n    pass\n'
        'if name in ("rate", "cores"):\n    pass\n'
        'if "sweep" != name:\n    pass\n'
        "match name:\n    case 'floor':\n        pass\n"
        "if s.name is ScenarioName.CORES:\n    pass\n"
        'VIEWS = {"sweep": 1, "rate": 2}\n',
    )
    found = found_in(tmp_path, frozenset(NAMES))
    assert [line.split(" ", 1)[1] for line in found] == [
        "compares with 'convoy'",
        "compares with 'cores'",
        "compares with 'rate'",
        "compares with 'sweep'",
        "matches 'floor'",
        "uses ScenarioName",
        "is a table keyed by 'sweep', 'rate'",
    ]


def test_checker_allows_lookups_other_words_and_the_scenario_modules(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "primebench/lab/render/tables.py",
        'record = doc.scenario("convoy")\nkey = point.params.get("rate")\n'
        'if kind == "measured":\n    pass\nlabel = "cores" + "!"\n'
        'parallelism = {"cores": 2, "processes": 1}\n',
    )
    _write(tmp_path, "primebench/lab/scenarios/convoy.py", 'if name == "convoy":\n    pass\n')
    assert found_in(tmp_path, frozenset(NAMES)) == []
