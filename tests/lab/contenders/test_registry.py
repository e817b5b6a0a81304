"""contenders: the registry, manifests, availability, and every real contender built and answering."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest

from primebench.cli import main
from primebench.errors import UserError
from primebench.lab.contenders import conformance
from primebench.lab.contenders import registry as contenders
from primebench.lab.contenders.launch import READY_PATH, ready_check
from primebench.lab.contenders.registry import (
    Contract,
    ManifestError,
    Registry,
    UnknownContender,
)
from primebench.lab.host import servers
from tests.toolchains import require_contenders

ManifestWriter = Callable[..., Path]  # the `manifest_root` fixture (tests/lab/conftest.py)


EXPECTED = [
    "node-seed",
    "bun-seed",
    "deno-seed",
    "node-workers",
    "go-seed",
    "rust-axum",
    "rust-axum-blocking",
    "fastapi-seed",
    "fastapi-threads",
    "python-seed",
    "python-jit",
    "python-pool",
    "primebench",
]
ALL = Registry.load().names()


def test_registry_holds_every_contender_in_table_order(registry: Registry) -> None:
    assert registry.names() == EXPECTED
    assert [c.name for c in registry.select([])] == EXPECTED
    assert [c.name for c in registry.select(["go-seed", "node-seed"])] == ["go-seed", "node-seed"]
    assert registry.get("primebench").contract is Contract.STRICT
    assert all(registry.get(n).contract is Contract.SEED for n in EXPECTED[:-1])


def test_unknown_name_lists_the_valid_ones(registry: Registry) -> None:
    with pytest.raises(UnknownContender) as info:
        registry.select(["go-seed", "cobol-seed"])
    message = str(info.value)
    assert "'cobol-seed'" in message
    assert all(name in message for name in EXPECTED)
    assert isinstance(info.value, UserError)


def test_missing_toolchain_is_unavailable_with_a_reason(manifest_root: ManifestWriter) -> None:
    root = manifest_root("ghost", requires='["primebench-no-such-compiler"]')
    ghost = Registry.load(root).get("ghost")
    avail = contenders.availability(ghost)
    assert not avail.available
    assert str(avail) == "unavailable: primebench-no-such-compiler not found on PATH"


def test_manifest_mistakes_name_the_key(manifest_root: ManifestWriter, tmp_path: Path) -> None:
    """The registry passes parse errors on (every kind is pinned in test_manifest.py)."""
    manifest_root("odd", extra='colour = "blue"')
    manifest = tmp_path / "contenders" / "odd" / "contender.toml"
    with pytest.raises(ManifestError, match=rf"^{re.escape(str(manifest))}: unknown key 'colour'"):
        Registry.load(tmp_path)
    manifest.unlink()
    manifest_root("bad", contract="lenient")
    with pytest.raises(UserError, match="'contract' must be one of seed, strict, got 'lenient'"):
        Registry.load(tmp_path)


def test_placeholders_and_environment(registry: Registry) -> None:
    twin = registry.get("python-seed")
    argv = contenders.run_argv(twin, "127.0.0.1", 4321)
    assert argv[:3] == [sys.executable, "-m", "primebench"]
    assert argv[argv.index("--port") + 1] == "4321"
    go = registry.get("go-seed")
    assert contenders.run_argv(go, "127.0.0.1", 1)[0] == str(go.directory / "bin" / "server")
    env = contenders.run_env(go, "127.0.0.1", 4321)
    assert (env["HOST"], env["PORT"]) == ("127.0.0.1", "4321")
    assert env["CORES"] == str(len(os.sched_getaffinity(0)))


def test_cores_placeholder_and_env(registry: Registry) -> None:
    fastapi = registry.get("fastapi-seed")
    argv = contenders.run_argv(fastapi, "127.0.0.1", 4321, cores=3)
    assert argv[argv.index("--workers") + 1] == "3"
    default = contenders.run_argv(fastapi, "127.0.0.1", 4321)
    assert default[default.index("--workers") + 1] == str(len(os.sched_getaffinity(0)))
    assert contenders.run_env(fastapi, "127.0.0.1", 4321, cores=3)["CORES"] == "3"


def test_required_path_is_looked_up_in_the_contender_dir(manifest_root: ManifestWriter) -> None:
    root = manifest_root("local", requires='["./node_modules/.bin/rt", "primebench-no-such-rt"]')
    local = Registry.load(root).get("local")
    reason = (
        f"primebench-no-such-rt not found on PATH; ./node_modules/.bin/rt not found in "
        f"{local.directory}"
    )
    assert str(contenders.availability(local)) == f"unavailable: {reason}"
    runtime = local.directory / "node_modules" / ".bin" / "rt"
    runtime.parent.mkdir(parents=True)
    runtime.write_text("#!/bin/sh\n", encoding="utf-8")
    assert "./node_modules/.bin/rt" in contenders.availability(local).reason  # not executable
    runtime.chmod(0o755)
    assert contenders.availability(local).reason == "primebench-no-such-rt not found on PATH"


def test_python_artifact_counts_runtime_and_dependencies(registry: Registry) -> None:
    size = contenders.artifact_size(registry.get("primebench"))
    assert not size.missing
    assert any(p.startswith("granian==") for p in size.paths)
    assert not any(p.startswith(("pytest==", "mypy==", "sympy==")) for p in size.paths)
    assert size.bytes > 20_000_000


def test_fastapi_artifact_counts_its_own_closure_with_the_extra(registry: Registry) -> None:
    size = contenders.artifact_size(registry.get("fastapi-seed"))
    assert not size.missing
    names = {p.split("==")[0].lower().replace("_", "-") for p in size.paths if "==" in p}
    assert {"fastapi", "starlette", "pydantic", "uvicorn"} <= names
    assert {"uvloop", "httptools"} <= names  # gated on uvicorn's `standard` extra
    assert not names & {"primebench", "granian", "numba", "pytest"}
    assert size.paths[-1] == str(registry.get("fastapi-seed").directory / "app.py")


@pytest.mark.e2e
@pytest.mark.concurrent  # builds, starts unpinned and checks one answer: no figure
@pytest.mark.parametrize("name", ALL)
def test_every_contender_builds_starts_and_answers_20000(registry: Registry, name: str) -> None:
    contender = registry.get(name)
    require_contenders(contender)
    outcome = contenders.build(contender)
    assert outcome.ok, outcome.reason
    assert not contenders.version(contender).startswith("unknown")
    size = contenders.artifact_size(contender)
    assert size.bytes > 0 and not size.missing
    port = servers.free_port()
    with servers.server(
        contenders.run_argv(contender, "127.0.0.1", port),
        cwd=contender.directory,
        env=contenders.run_env(contender, "127.0.0.1", port),
        host="127.0.0.1",
        port=port,
        cpus=None,
        ready_path=READY_PATH,
        ready_check=ready_check,
    ) as running:
        response = httpx.get(f"http://127.0.0.1:{port}/prime", params={"n": 20000}, timeout=60)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == {"n": 20000, "prime": 224737}
        pids = [p.pid for p in running.tree()]
    assert not [p for p in map(_alive, pids) if p]


def _alive(pid: int) -> bool:
    """Running and not a zombie (an orphan's zombie waits for init, which may be slow to reap)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


NODE_SEED_BAD_INPUT = {  # SEED-SERVERS.md: parseInt semantics, computed inline
    "abc": '{"n":null,"prime":1}',
    "0": '{"n":0,"prime":1}',
    "-1": '{"n":-1,"prime":1}',
    "1.5": '{"n":1,"prime":2}',
    "n=5&n=7": '{"n":5,"prime":11}',
}


@pytest.mark.e2e
@pytest.mark.concurrent  # verify records answers and statuses, no figure
def test_verify_records_the_new_contenders_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fastapi-*: FastAPI's validation of `n: int`; bun-seed, deno-seed: node-seed's exactly.

    Each of the four is stuck on the huge n: 1 s per wait tells that as well as the lab's
    3 s (its answer, then /healthz; was 26 s of the unit tier, its longest test).
    """
    monkeypatch.setattr(conformance, "BAD_INPUT_TIMEOUT_S", 1.0)
    new = ["fastapi-seed", "fastapi-threads", "bun-seed", "deno-seed"]
    out = tmp_path / "verify.json"
    assert main(["verify", "--contenders", ",".join(new), "--json", str(out)]) == 0
    by_name = {c["name"]: c for c in json.loads(out.read_text())["contenders"]}
    assert sorted(by_name) == sorted(new)
    cells = {
        name: {b["case"]: (b["status"], b["body"]) for b in c["conformance"]["bad_inputs"]}
        for name, c in by_name.items()
    }
    for name in ("fastapi-seed", "fastapi-threads"):
        assert all(a["ok"] for a in by_name[name]["conformance"]["answers"])
        for case in ("abc", "1.5"):
            status, body = cells[name][case]
            assert status == 422 and '"type":"int_parsing"' in body, (name, case, body)
        assert cells[name]["0"] == (200, '{"n":0,"prime":1}')
        assert cells[name]["-1"] == (200, '{"n":-1,"prime":1}')
        assert cells[name]["n=5&n=7"] == (200, '{"n":7,"prime":17}')  # the last n
        assert cells[name]["huge"][0] is None  # accepted and computed for ever
    for name in ("bun-seed", "deno-seed"):
        assert all(a["ok"] for a in by_name[name]["conformance"]["answers"])
        assert {case: body for case, (_, body) in cells[name].items() if case != "huge"} == (
            NODE_SEED_BAD_INPUT
        )
        assert all(status == 200 for case, (status, _) in cells[name].items() if case != "huge")
        assert cells[name]["huge"][0] is None
        assert by_name[name]["conformance"]["healthy_after"] is False  # one thread, stuck


def test_default_root_is_the_checkout_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without PRIMEBENCH_ROOT and outside the checkout, the built-in contenders are found."""
    monkeypatch.delenv("PRIMEBENCH_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    root = contenders.default_root()
    assert (root / "contenders" / "go-seed" / "contender.toml").is_file()
    assert (root / "pyproject.toml").is_file() and root == contenders.CHECKOUT
