"""The release shape (issue 21): `uv build` makes an sdist and a wheel, and the wheel alone,
installed into a fresh venv with no extras, is the service: it serves a real request, names
the extra a lab command or the JIT engine needs, prints its version, carries the
combined licence terms in its metadata, and ships the prime table a start maps.

uv installs from its cache when it can (the lock's wheels are there after `uv sync`), so the
test needs the index only on a machine that never synced.
"""

from __future__ import annotations

import email
import json
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import httpx
import pytest
import sympy

from primebench import __version__
from primebench.cli import LAB_EXTRA_HINT
from tests.servers import start_server

pytestmark = [pytest.mark.e2e, pytest.mark.concurrent, pytest.mark.timeout(600)]  # no figure

REPO = Path(__file__).resolve().parents[1]
SERVICE_DEPENDENCIES = {
    "httptools",
    "granian",
    "uvloop",
    "primecountpy",
    "pebble",
    "prometheus-client",
    "mypy-extensions",  # `mypyc_attr` (service/app.py)
}
EXTRA_ONLY = ("numba", "llvmlite", "scipy", "psutil", "pydantic", "numpy")


def _uv(*args: str, cwd: Path = REPO) -> str:
    uv = shutil.which("uv")
    assert uv is not None, "uv is not on PATH (README: python3 -m pip install --user uv)"
    done = subprocess.run(
        [uv, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"uv {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the built wheel, the fresh venv's bin dir holding its service-only install)."""
    root = tmp_path_factory.mktemp("release")
    dist = root / "dist"
    _uv("build", "--out-dir", str(dist))
    venv = root / "venv"
    _uv("venv", "--python", "3.11", str(venv))
    (wheel,) = dist.glob("primebench-*.whl")
    _uv("pip", "install", "--python", str(venv / "bin" / "python"), str(wheel))
    return wheel, venv / "bin"


def _run(executable: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(executable), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_uv_build_makes_an_sdist_and_a_wheel_with_the_combined_licence(
    installed: tuple[Path, Path],
) -> None:
    wheel, _ = installed
    assert (wheel.parent / f"primebench-{__version__}.tar.gz").is_file()
    with zipfile.ZipFile(wheel) as archive:
        meta_name = f"primebench-{__version__}.dist-info/METADATA"
        meta = email.message_from_bytes(archive.read(meta_name))
        names = set(archive.namelist())
    assert meta["Version"] == __version__
    assert meta["License-Expression"] == "MIT AND GPL-3.0-or-later"
    assert sorted(meta.get_all("License-File") or []) == ["LICENSE", "NOTICE"]
    assert f"primebench-{__version__}.dist-info/licenses/NOTICE" in names
    required = meta.get_all("Requires-Dist") or []
    unconditional = {r.split(";")[0].split("<")[0].split(">")[0].strip() for r in required
                     if "extra ==" not in r}  # fmt: skip
    assert unconditional == SERVICE_DEPENDENCIES
    assert set(meta.get_all("Provides-Extra") or []) == {"lab", "jit"}
    # the hot path compiled by mypyc, beside its source: a platform wheel
    assert "-py3-none-any" not in wheel.name
    for module in ("http1", "app", "metrics"):
        assert f"primebench/service/{module}.py" in names
        assert any(n.startswith(f"primebench/service/{module}.cpython-") for n in names)
    assert any(n.startswith("primebench__mypyc.cpython-") for n in names)


def test_the_service_install_serves_and_holds_no_extra(installed: tuple[Path, Path]) -> None:
    _, bin_dir = installed
    present = _run(
        bin_dir / "python",
        "-c",
        "import importlib.util as u, sys; "
        f"print(','.join(m for m in {EXTRA_ONLY!r} if u.find_spec(m)))",
    )
    assert present.stdout.strip() == ""
    with start_server("--workers", "1", executable=bin_dir / "primebench") as server:
        reply = httpx.get(f"{server.url}/prime", params={"n": 20000}, timeout=30)
        assert reply.json() == {"n": 20000, "prime": sympy.prime(20000)}
        beyond = httpx.get(f"{server.url}/prime/1000003", timeout=30)
        assert beyond.json() == {"n": 1_000_003, "prime": sympy.prime(1_000_003)}


# Run in the fresh venv, the sieve disabled: the default table must come from the wheel.
_MAPS_THE_SHIPPED_TABLE = """
import json, sys
import primebench.primes.table as table
from primebench.primes import EngineName, prepare
from primebench.service.settings import Settings

def no_sieve(limit):
    raise AssertionError("the wheel's table was not used: the service sieved")

table.sieve_primes = no_sieve
engine = prepare(EngineName.FAST, Settings().table_size)
print(json.dumps([engine.table_size, engine.inline(engine.table_size)]))
"""


def test_the_wheel_ships_the_prime_table_and_a_start_maps_it(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    """Issue 21 (P6): the table is made at build (hatch_build.py), not kept in git or the sdist."""
    wheel, bin_dir = installed
    shipped = "primebench/primes/shipped/primes-1000000.u32"
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo(shipped)
    assert info.file_size == 20 + 4 * 1_000_000
    assert (info.external_attr >> 16) & 0o444 == 0o444  # readable by the service's user
    with tarfile.open(wheel.parent / f"primebench-{__version__}.tar.gz") as sdist:
        names = sdist.getnames()
    assert f"primebench-{__version__}/hatch_build.py" in names
    assert not [name for name in names if name.endswith(".u32")]
    cache = tmp_path / "cache"
    done = subprocess.run(
        [str(bin_dir / "python"), "-c", _MAPS_THE_SHIPPED_TABLE],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"XDG_CACHE_HOME": str(cache), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout) == [1_000_000, sympy.prime(1_000_000)]
    assert not cache.exists()


def test_the_service_install_names_the_missing_extras(installed: tuple[Path, Path]) -> None:
    _, bin_dir = installed
    primebench = bin_dir / "primebench"
    version = _run(primebench, "--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"primebench {__version__}")
    for command in ("bench", "verify", "report", "compare", "probe"):
        lab = _run(primebench, command)
        assert lab.returncode == 1, command
        assert lab.stderr.strip().splitlines() == [f"primebench: error: {LAB_EXTRA_HINT}"], command
        assert "primebench[lab]" in LAB_EXTRA_HINT
    jit = _run(primebench, "serve", "--engine", "trial-jit", "--port", "0")
    assert jit.returncode == 1
    assert len(jit.stderr.strip().splitlines()) == 1
    assert "install primebench[jit]" in jit.stderr
