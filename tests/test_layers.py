"""The layers contract: imports point inward, checked on every module's syntax tree.

primebench.primes is the pure core; primebench.service is the HTTP edge over it; the
lab (primebench.lab) is orchestration that measures servers from outside, so it starts
our service and its Python twins as processes and never imports the service. Only the
CLI (`primebench.cli`, the composition root) sees every layer. Every import counts,
including ones inside functions and under `if TYPE_CHECKING:`; strings (an argv naming
`primebench.service` for a subprocess) do not.

To add a rule (say, "lab.render never imports lab.run"), add a line to FORBIDDEN.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

LAB = "primebench.lab"

FORBIDDEN: dict[str, dict[str, str]] = {
    "primebench.primes": {
        "primebench.service": "the core knows nothing of HTTP",
        "primebench.lab": "the core knows nothing of the lab",
        "primebench.cli": "the core knows nothing of the CLI",
    },
    "primebench.service": {
        "primebench.lab": "the service knows nothing of the lab that measures it",
        "primebench.cli": "the CLI composes the service, not the other way",
    },
    "primebench.lab": {
        "primebench.service": "the lab starts the service as a process, never imports it",
        "primebench.cli": "the CLI composes the lab, not the other way",
    },
    # Inside the lab: model <- host <- contenders; model <- render <- scenarios <- run;
    # scenarios <- pages. The commands compose them all.
    f"{LAB}.model": {
        f"{LAB}.host": "the model is data and arithmetic, no processes or sockets",
        f"{LAB}.contenders": "the model knows no contender's build or manifest",
        f"{LAB}.run": "the model is what a run writes, not how it runs",
        f"{LAB}.render": "the model is rendered, it does not render",
        f"{LAB}.scenarios": "the model is what scenarios plan and record, not a scenario",
        f"{LAB}.pages": "the model is rendered, it does not render",
        f"{LAB}.commands": "the commands compose the lab",
    },
    f"{LAB}.host": {
        f"{LAB}.contenders": "processes and sockets know no contender",
        f"{LAB}.run": "the host serves the run, not the other way",
        f"{LAB}.render": "the host never renders",
        f"{LAB}.scenarios": "the host pins and measures what the run asks, knowing no scenario",
        f"{LAB}.pages": "the host never renders",
        f"{LAB}.commands": "the commands compose the lab",
    },
    f"{LAB}.contenders": {
        f"{LAB}.run": "a contender is built and checked without knowing the bench",
        f"{LAB}.render": "contenders never render",
        f"{LAB}.scenarios": "a contender is built and checked without knowing the bench",
        f"{LAB}.pages": "contenders never render",
        f"{LAB}.commands": "the commands compose the lab",
    },
    f"{LAB}.render": {
        f"{LAB}.run": "a report is drawn from a saved document, never from the run",
        f"{LAB}.host": "rendering is pure: no processes, sockets or machine state",
        f"{LAB}.contenders": "rendering reads the document, not the contenders",
        f"{LAB}.scenarios": "building blocks know no scenario; each scenario picks its own",
        f"{LAB}.pages": "the pages assemble the building blocks, not the other way",
        f"{LAB}.commands": "the commands compose the lab",
    },
    f"{LAB}.scenarios": {
        f"{LAB}.run": "a scenario's plan is data the run executes; it never runs anything",
        f"{LAB}.host": "a plan is data: the run pins and starts, not the scenario",
        f"{LAB}.contenders": "a scenario plans for any contender by name only",
        f"{LAB}.pages": "the pages ask the scenarios for their tables, not the other way",
        f"{LAB}.commands": "the commands compose the lab",
    },
    f"{LAB}.pages": {
        f"{LAB}.run": "a page is drawn from a saved document, never from the run",
        f"{LAB}.host": "pages are pure: no processes, sockets or machine state",
        f"{LAB}.contenders": "pages read the document, not the contenders",
        f"{LAB}.commands": "the commands compose the lab",
    },
    f"{LAB}.run": {
        f"{LAB}.render": "the run writes a document; its scenarios draw it, not the run",
        f"{LAB}.pages": "the run writes a document; rendering it is the commands' job",
        f"{LAB}.commands": "the commands compose the lab",
    },
}
"""Layer (a package prefix) -> forbidden import prefix -> why."""


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.imported}: {self.why}"


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, dotted name) for every import; `from a import b` yields `a.b` (b may be a
    module), relative imports are resolved against `module`."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(src: Path, rules: dict[str, dict[str, str]]) -> list[Violation]:
    found = []
    for path in sorted(src.rglob("*.py")):
        module = module_name(path, src)
        layer_rules = [r for layer, r in rules.items() if _within(module, layer)]
        if not layer_rules:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in imported_names(tree, module, path.name == "__init__.py"):
            for forbidden in layer_rules:
                for prefix, why in forbidden.items():
                    if _within(name, prefix):
                        found.append(Violation(path.relative_to(src), line, name, why))
    return found


def test_imports_point_inward() -> None:
    found = violations(SRC, FORBIDDEN)
    assert not found, "imports pointing outward:\n" + "\n".join(map(str, found))


# The service install (`pip install primebench`, issue 21) has none of the extras' packages:
# no module on the service's path may import one, at any depth. Only the `trial-jit` engine's
# two modules import numba and numpy, after `settings` checked that the `jit` extra is there.
EXTRAS_ONLY = {"numba": "jit", "llvmlite": "jit", "numpy": "lab", "scipy": "lab"}
EXTRAS_ONLY |= {"psutil": "lab", "pydantic": "lab", "pydantic_core": "lab"}
SERVICE_PATH = ("primebench.service", "primebench.primes", "primebench.cli", "primebench.errors")
JIT_MODULES = ("primebench.primes.trial_jit", "primebench.primes.trial_jit_kernels")


def test_the_service_path_imports_no_extra() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = module_name(path, SRC)
        if module != "primebench" and not any(_within(module, p) for p in SERVICE_PATH):
            continue
        if module in JIT_MODULES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in imported_names(tree, module, path.name == "__init__.py"):
            top = name.partition(".")[0]
            if top in EXTRAS_ONLY:
                found.append(
                    f"{path.relative_to(SRC)}:{line} imports {name} ([{EXTRAS_ONLY[top]}])"
                )
    assert not found, "the service install lacks these:\n" + "\n".join(found)


def test_every_layer_exists() -> None:
    """A renamed package must not make its rules check nothing."""
    for layer in FORBIDDEN:
        assert (SRC / Path(*layer.split("."))).is_dir(), layer


# --- the checker itself, on throw-away trees ------------------------------------------


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("source", "imported"),
    [
        ("import primebench.service.app\n", "primebench.service.app"),
        ("from primebench.service import app\n", "primebench.service.app"),
        ("from primebench import service\n", "primebench.service"),
        ("from ...service import app\n", "primebench.service.app"),
        ("from ... import service\n", "primebench.service"),
        (
            "def later():\n    from primebench.service.app import App\n",
            "primebench.service.app.App",
        ),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import primebench.service\n",
            "primebench.service",
        ),
    ],
)
def test_checker_finds_every_form_of_an_outward_import(
    tmp_path: Path, source: str, imported: str
) -> None:
    write(tmp_path, "primebench/__init__.py", "")
    write(tmp_path, "primebench/lab/__init__.py", "")
    write(tmp_path, "primebench/lab/run/measure.py", source)
    (found,) = violations(tmp_path, FORBIDDEN)
    assert (str(found.path), found.imported) == ("primebench/lab/run/measure.py", imported)
    assert "never imports" in found.why


def test_checker_allows_inward_imports_and_strings(tmp_path: Path) -> None:
    write(tmp_path, "primebench/lab/__init__.py", "from . import model\n")
    write(
        tmp_path,
        "primebench/lab/twins.py",
        "from primebench.primes import engines\nfrom primebench.errors import UserError\n"
        "from primebench.lab.host.tool_runs import run_tool\n"
        "ARGV = ['python', '-m', 'primebench.service']\n",
    )
    write(tmp_path, "primebench/service/app.py", "from primebench.primes.table import x\n")
    write(tmp_path, "primebench/cli.py", "import primebench.lab\nimport primebench.service\n")
    write(tmp_path, "primebench/services_extra/x.py", "import primebench.lab\n")
    assert violations(tmp_path, FORBIDDEN) == []


def test_checker_resolves_relative_imports_in_a_package_init(tmp_path: Path) -> None:
    write(tmp_path, "primebench/primes/__init__.py", "from ..lab import model\n")
    (found,) = violations(tmp_path, FORBIDDEN)
    assert found.imported == "primebench.lab.model" and found.line == 1
