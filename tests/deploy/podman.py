"""The service's OCI image under podman, for the container tests: build it, run it, stop it.

Every podman call goes through `podman(...)`, with the flags these machines need (Debian's
podman 4.3: runc, not crun, and cgroupfs; limits may only be lowered, never raised) and a
timeout. `build_image` builds the repository's Containerfile FROM the offline base that
scripts/setup-container makes once per machine, and `run_container` starts a container
on a free loopback port, waits until /readyz answers while checking that the container is
still running, and removes it (with its logs shown on failure) when the block ends.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.servers import free_port

REPO = Path(__file__).resolve().parents[2]
BASE_IMAGE = "localhost/primebench-base:bookworm"  # made by scripts/setup-container
HOST_CA = Path(
    "/etc/ssl/certs/ca-certificates.crt"
)  # downloads during a build go through a TLS proxy
GLOBAL_FLAGS = ("--runtime", "runc", "--cgroup-manager", "cgroupfs")
LIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000")
BUILD_STAGE_LABEL = "io.primebench.stage=build"  # set in the Containerfile's build stage
BUILD_CACHE_KEEP = "72h"
BUILD_TIMEOUT_S = 900.0  # a cold build (every wheel downloaded) took ~70 s here
READY_DEADLINE_S = 60.0
CONTAINER_PORT = 8000


class PodmanError(RuntimeError):
    """A podman command failed; the message carries its output."""


def podman(
    *args: str, timeout_s: float = 60.0, nice: bool = False, with_stderr: bool = False
) -> str:
    """Run `podman ARGS` (with this machine's global flags); its stdout (and stderr after it,
    `with_stderr`), or PodmanError."""
    executable = shutil.which("podman")
    if executable is None:
        raise PodmanError("podman is not installed: run scripts/setup (scripts/setup-container)")
    argv = [executable, *GLOBAL_FLAGS, *args]
    if nice:
        argv = ["nice", "-n", "10", *argv]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PodmanError(
            f"podman {' '.join(args[:2])} still running after {timeout_s:g} s"
        ) from exc
    if done.returncode != 0:
        raise PodmanError(
            f"podman {' '.join(args)} exited with {done.returncode}:\n{done.stderr[-4000:]}"
        )
    return done.stdout + done.stderr if with_stderr else done.stdout


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    seconds: float
    size_bytes: int


def build_image() -> BuiltImage:
    """Build the Containerfile FROM the offline base, under a tag of its own; the caller removes it."""
    if not _image_exists(BASE_IMAGE):
        raise PodmanError(f"base image {BASE_IMAGE} is missing: run scripts/setup-container")
    tag = f"localhost/primebench-test:{uuid.uuid4().hex[:10]}"
    started = time.monotonic()
    podman(
        "build",
        "--build-arg", f"BASE={BASE_IMAGE}",
        "--volume", f"{HOST_CA}:/etc/ssl/certs/ca-certificates.crt:ro",
        "--network", "host",
        *LIMITS,
        "--tag", tag,
        "--file", str(REPO / "Containerfile"),
        str(REPO),
        timeout_s=BUILD_TIMEOUT_S,
        nice=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    size = int(podman("image", "inspect", "--format", "{{.Size}}", tag).strip())
    return BuiltImage(tag, seconds, size)


def layer_sizes(tag: str) -> list[tuple[str, int]]:
    """The image's layers, newest first: (the instruction that made it, its size in bytes)."""
    history = json.loads(podman("history", "--format", "json", tag))
    assert isinstance(history, list)
    return [(str(layer.get("CreatedBy", "")), int(layer.get("size", 0))) for layer in history]


def remove_image(tag: str) -> None:
    """Remove a test image. The build stage's layers stay behind as podman's build cache
    (a warm build takes seconds, a cold one over a minute), except those older than
    BUILD_CACHE_KEEP that no image uses any more."""
    podman("rmi", "--force", tag, timeout_s=120)
    podman(
        "image", "prune", "--force",
        "--filter", f"label={BUILD_STAGE_LABEL}",
        "--filter", f"until={BUILD_CACHE_KEEP}",
        timeout_s=120,
    )  # fmt: skip


def image_config(tag: str) -> dict[str, object]:
    config = json.loads(podman("image", "inspect", "--format", "{{json .Config}}", tag))
    assert isinstance(config, dict)
    return config


def _image_exists(tag: str) -> bool:
    try:
        podman("image", "exists", tag)
    except PodmanError:
        return False
    return True


@dataclass(frozen=True)
class Container:
    """A running container of the image: its name and the loopback URL of its port 8000."""

    name: str
    url: str
    port: int

    def state(self) -> dict[str, object]:
        state = json.loads(podman("inspect", "--format", "{{json .State}}", self.name))
        assert isinstance(state, dict)
        return state

    def logs(self, timestamps: bool = False) -> str:
        """stdout and stderr of the container (each line prefixed with its RFC 3339 time)."""
        try:
            # `podman logs` replays the container's stderr on its own stderr: both are wanted
            return podman(
                "logs",
                *(["--timestamps"] if timestamps else []),
                self.name,
                timeout_s=30,
                with_stderr=True,
            )
        except PodmanError as exc:
            return str(exc)

    def processes(self) -> list[tuple[int, int, str]]:
        """(pid, ppid, command line) of every process in the container, as `podman top` sees them."""
        rows = []
        for line in podman("top", self.name, "pid", "ppid", "args").splitlines()[1:]:
            pid, ppid, args = line.split(None, 2)
            rows.append((int(pid), int(ppid), args.strip()))
        return rows

    def stop(self, timeout_s: float) -> float:
        """`podman stop` (SIGTERM, then SIGKILL after timeout_s); seconds it took."""
        started = time.monotonic()
        podman("stop", "--time", f"{timeout_s:g}", self.name, timeout_s=timeout_s + 30)
        return time.monotonic() - started


@contextmanager
def run_container(
    image: str, *podman_run_args: str, tmpfs: str = "/tmp", serve_args: tuple[str, ...] = ()
) -> Iterator[Container]:
    """Run the image detached on 127.0.0.1:<free port> until the block ends, then remove it.

    podman_run_args go to `podman run` (e.g. "--cpus", "1"); serve_args are appended after
    the image name, so they reach `primebench serve`. The container always runs with a
    read-only root file system and a tmpfs (`tmpfs`, e.g. "/tmp:size=64m"), as the
    Kubernetes manifests run it.
    """
    port = free_port()
    name = f"primebench-test-{uuid.uuid4().hex[:10]}"
    podman(
        "run", "--detach", "--name", name,
        "--read-only", "--tmpfs", tmpfs,
        *LIMITS,
        "--publish", f"127.0.0.1:{port}:{CONTAINER_PORT}",
        *podman_run_args,
        image, *serve_args,
    )  # fmt: skip
    container = Container(name, f"http://127.0.0.1:{port}", port)
    try:
        _wait_ready(container)
        yield container
    finally:
        podman("rm", "--force", "--time", "0", name, timeout_s=60)


def _wait_ready(container: Container) -> None:
    deadline = time.monotonic() + READY_DEADLINE_S
    while True:
        state = container.state()
        if not state.get("Running"):
            raise PodmanError(
                f"container exited with {state.get('ExitCode')}:\n{container.logs()[-3000:]}"
            )
        if time.monotonic() > deadline:
            raise PodmanError(
                f"container not ready within {READY_DEADLINE_S:g} s:\n{container.logs()[-3000:]}"
            )
        try:
            if httpx.get(container.url + "/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
