"""Fixtures of the container tests: the image, built once per session, and a running container.

`primebench_image` builds the repository's Containerfile (FROM the offline base of
scripts/setup-container) and removes the image when the session ends. `primebench_container`
runs it the way a one-CPU pod does (`--cpus 1`, read-only root, tmpfs /tmp) and yields the
running `Container`; `primebench_container_url` is its base URL, e.g. for
`primebench bench --target primebench-container=URL`. Both are session-scoped: tests that
share the container must not stop it or depend on its counters starting at zero.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.podman import BuiltImage, Container, build_image, remove_image, run_container


@pytest.fixture(scope="session")
def primebench_image() -> Iterator[BuiltImage]:
    image = build_image()
    print(f"image {image.tag}: built in {image.seconds:.1f} s, {image.size_bytes / 1e6:.0f} MB")
    try:
        yield image
    finally:
        remove_image(image.tag)


@pytest.fixture(scope="session")
def primebench_container(primebench_image: BuiltImage) -> Iterator[Container]:
    """The image running under a one-CPU quota (as a pod with `limits.cpu: 1`), default settings."""
    with run_container(primebench_image.tag, "--cpus", "1") as container:
        yield container


@pytest.fixture(scope="session")
def primebench_container_url(primebench_container: Container) -> str:
    """Base URL (`http://127.0.0.1:PORT`, no trailing slash) of the running container."""
    return primebench_container.url
