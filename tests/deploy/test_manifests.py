"""deploy/: every manifest validates against the Kubernetes API schemas, offline, and keeps its promises.

Each YAML file is checked as written, then as kustomize renders the base (what
`kubectl apply -k deploy/base` sends), with kubernetes-validate's strict schemas (an
unknown or misspelt field fails) for the oldest Kubernetes these manifests target and the
newest the package knows. The rendered objects are then checked for what issue 12 asks:
probes on the service's own endpoints with liveness independent of the pool, a preStop
pause shorter than the termination grace minus the service's --grace, whole CPUs with
requests equal to limits, a locked-down security context with a writable /tmp only, a
Service, an HPA on CPU, a PDB, and Prometheus annotations pointing at the real port.
The settings the Deployment passes are parsed by the service's own settings code.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate
import pytest
import yaml

from primebench import __version__
from primebench.service.settings import resolve
from tests.deploy.podman import (
    CONTAINER_PORT,
    REPO,
    BuiltImage,
    Container,
    podman,
    run_container,
)

BASE = REPO / "deploy" / "base"
OLDEST_K8S = "1.29"  # preStop `exec` (not the newer `sleep` action) keeps older clusters in
K8S_VERSIONS = (OLDEST_K8S, kubernetes_validate.latest_version())
KUSTOMIZE_PIN = re.search(
    r"^KUSTOMIZE_VERSION=(v[\d.]+)",
    (REPO / "scripts" / "setup-container").read_text(),
    re.MULTILINE,
)
Manifest = dict[str, Any]


def _raw_files() -> list[Path]:
    return sorted(p for p in (REPO / "deploy").rglob("*.yaml") if p.name != "kustomization.yaml")


def _documents(text: str) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def _validate(manifest: Manifest) -> None:
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(manifest, version, strict=True)


@pytest.mark.parametrize("path", _raw_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_manifest_file_validates_against_the_kubernetes_schemas(path: Path) -> None:
    documents = _documents(path.read_text())
    assert documents, f"{path} holds no manifest"
    for manifest in documents:
        _validate(manifest)


def test_an_invalid_manifest_is_refused() -> None:
    """The validator is not a rubber stamp: a misspelt field and a wrong type both fail."""
    deployment = _by_kind(_rendered())["Deployment"]
    misspelt = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(misspelt)
    wrong_type = {**deployment, "spec": {**deployment["spec"], "revisionHistoryLimit": "five"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(wrong_type)


def _kustomize() -> str:
    """kustomize on PATH, or where scripts/setup-container's `go install` put it."""
    found = shutil.which("kustomize")
    if found is None and shutil.which("go"):
        env = subprocess.run(
            ["go", "env", "GOBIN", "GOPATH"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        gobin = Path(env[0]) if env[0] else Path(env[1]) / "bin"
        found = str(gobin / "kustomize") if (gobin / "kustomize").exists() else None
    assert found, "kustomize is not installed: run scripts/setup (scripts/setup-container)"
    return found


def _rendered() -> list[Manifest]:
    kustomize = _kustomize()
    version = subprocess.run(
        [kustomize, "version"], capture_output=True, text=True, timeout=30, check=False
    )
    assert KUSTOMIZE_PIN is not None
    assert version.stdout.strip() == KUSTOMIZE_PIN.group(1), version.stdout
    built = subprocess.run(
        [kustomize, "build", str(BASE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert built.returncode == 0, built.stderr
    return _documents(built.stdout)


def _by_kind(manifests: list[Manifest]) -> dict[str, Manifest]:
    kinds = [m["kind"] for m in manifests]
    assert len(kinds) == len(set(kinds)), kinds
    return {m["kind"]: m for m in manifests}


@pytest.fixture(scope="module")
def rendered() -> dict[str, Manifest]:
    manifests = _rendered()
    for manifest in manifests:
        _validate(manifest)
    return _by_kind(manifests)


def test_kustomize_renders_a_valid_deployment_service_hpa_and_pdb(
    rendered: dict[str, Manifest],
) -> None:
    assert set(rendered) == {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }
    # The one version (pyproject reads it from the package: `dynamic = ["version"]`).
    assert _container(rendered)["image"] == f"primebench:{__version__}"


def _pod(rendered: dict[str, Manifest]) -> Manifest:
    return dict(rendered["Deployment"]["spec"]["template"])


def _container(rendered: dict[str, Manifest]) -> Manifest:
    containers = _pod(rendered)["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def _env(container: Manifest) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("env", [])}


def _port(container: Manifest, name: str) -> int:
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    return int(ports[name])


def test_probes_use_the_service_endpoints_and_liveness_ignores_the_pool(
    rendered: dict[str, Manifest],
) -> None:
    container = _container(rendered)
    paths = {
        kind: (container[kind]["httpGet"]["path"], container[kind]["httpGet"]["port"])
        for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    # /healthz answers while the process lives; /readyz once the engine is prepared.
    assert paths == {
        "startupProbe": ("/readyz", "http"),
        "readinessProbe": ("/readyz", "http"),
        "livenessProbe": ("/healthz", "http"),
    }
    assert _port(container, "http") == CONTAINER_PORT


def test_termination_grace_covers_the_prestop_pause_and_the_service_grace(
    rendered: dict[str, Manifest],
) -> None:
    container = _container(rendered)
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep" and len(command) == 2
    pause_s = float(command[1])
    settings = resolve({}, _env(container))  # the service's own parser, as the pod's env feeds it
    termination_s = _pod(rendered)["spec"]["terminationGracePeriodSeconds"]
    assert pause_s >= 1
    assert termination_s > pause_s + settings.grace + 1
    assert settings.host == "0.0.0.0" and settings.port == _port(container, "http")
    # Service links would add PRIMEBENCH_PORT=tcp://... (the Service is named primebench).
    assert _pod(rendered)["spec"]["enableServiceLinks"] is False


def test_resources_are_whole_cpus_with_requests_equal_to_limits(
    rendered: dict[str, Manifest],
) -> None:
    resources = _container(rendered)["resources"]
    assert resources["requests"] == resources["limits"]
    cpu = str(resources["limits"]["cpu"])
    assert re.fullmatch(r"[1-9]\d*", cpu) or re.fullmatch(r"[1-9]\d*000m", cpu), cpu
    assert "memory" in resources["limits"]


def test_security_context_is_locked_down_with_a_writable_tmp_only(
    rendered: dict[str, Manifest],
) -> None:
    pod = _pod(rendered)["spec"]
    container = _container(rendered)
    user = re.search(r"^USER (\d+):(\d+)$", (REPO / "Containerfile").read_text(), re.MULTILINE)
    assert user is not None
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == int(user.group(1))
    assert pod["securityContext"]["runAsGroup"] == int(user.group(2))
    assert pod["automountServiceAccountToken"] is False
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"]["drop"] == ["ALL"]
    assert "add" not in context["capabilities"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert list(mounts) == ["/tmp"]
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_service_hpa_pdb_and_scraping_point_at_the_pods(rendered: dict[str, Manifest]) -> None:
    deployment = rendered["Deployment"]
    labels = _pod(rendered)["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    assert "replicas" not in deployment["spec"]  # the HPA owns the count

    service = rendered["Service"]["spec"]
    assert service["selector"] == labels
    assert [p["targetPort"] for p in service["ports"]] == ["http"]

    hpa = rendered["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    assert 2 <= hpa["minReplicas"] <= hpa["maxReplicas"]  # a PDB of one leaves one serving

    pdb = rendered["PodDisruptionBudget"]["spec"]
    assert pdb["maxUnavailable"] == 1
    assert pdb["selector"]["matchLabels"] == labels

    annotations = _pod(rendered)["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == _port(_container(rendered), "http")
    assert annotations["prometheus.io/path"] == "/metrics"


@pytest.fixture
def pod_in_podman(
    rendered: dict[str, Manifest], primebench_image: BuiltImage
) -> Iterator[Container]:
    """The Deployment's pod spec, translated to `podman run` flags, running the built image."""
    pod = _pod(rendered)["spec"]
    container = _container(rendered)
    limits = container["resources"]["limits"]
    tmp = {v["name"]: v for v in pod["volumes"]}[container["volumeMounts"][0]["name"]]
    flags = [
        "--user", f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}",
        "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "--cpus", str(limits["cpu"]),
        "--memory", str(limits["memory"]).replace("Mi", "m"),
        *(f"--env={name}={value}" for name, value in _env(container).items()),
    ]  # fmt: skip
    size = tmp["emptyDir"]["sizeLimit"].replace("Mi", "m")
    with run_container(primebench_image.tag, *flags, tmpfs=f"/tmp:size={size}") as running:
        yield running


@pytest.mark.container
@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_the_pod_spec_runs_the_image(
    rendered: dict[str, Manifest], pod_in_podman: Container
) -> None:
    """The image under the pod's user, capabilities, limits, env and read-only root: the
    probes pass, it answers, and the preStop command exists in the image and runs."""
    container = _container(rendered)
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        reply = httpx.get(pod_in_podman.url + container[kind]["httpGet"]["path"], timeout=5)
        assert reply.status_code == 200, (kind, reply.text)
    reply = httpx.get(pod_in_podman.url + "/prime?n=20000", timeout=10)
    assert reply.json() == {"n": 20000, "prime": 224_737}
    podman("exec", pod_in_podman.name, *container["lifecycle"]["preStop"]["exec"]["command"])
