"""Registry mirrors for real: an engine started with ``--registry-mirror``, and the digest check.

The fork's pkg/registry (and pkg/container/mirror_test.go) asks the engine's
configured Docker Hub mirrors first for a Docker Hub image's digest. Here a
second private engine runs with a mirror that is a real registry on
127.0.0.1: :meth:`DockerClient.registry_mirrors` must report it, and the
registry client built with it, as the command builds it, must get the digest
from the mirror alone. A guard refuses any request that would leave
127.0.0.1, so Docker Hub itself is never asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import dockerd as dockerd_support
from tests.support.e2e_fixtures import Images
from tests.support.registry import RegistryServer
from watchtower import parse_reference
from watchtower.docker import DockerClient
from watchtower.registry import HttpRegistry, Request, Response, TransportError
from watchtower.registry._requests_transport import RequestsTransport

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def mirrored_engine(e2e_registry: RegistryServer, dockerd: Any) -> Iterator[DockerClient]:
    """A second private engine whose Docker Hub mirror is the session's registry."""
    try:
        engine = dockerd_support.Dockerd.start(
            extra_args=(f"--registry-mirror=http://{e2e_registry.host}",)
        )
    except RuntimeError as error:
        if dockerd_support.required():
            raise
        pytest.skip(f"a second dockerd did not start: {error}")
    try:
        yield DockerClient.from_env(environment={"DOCKER_HOST": engine.url})
    finally:
        engine.stop()


class LoopbackOnly:
    """The default transport, refusing every request that would leave 127.0.0.1."""

    def __init__(self) -> None:
        self.inner = RequestsTransport()
        self.urls: list[str] = []

    def send(self, request: Request) -> Response:
        self.urls.append(request.url)
        if not request.url.startswith(("http://127.0.0.1:", "https://127.0.0.1:")):
            raise TransportError(f"{request.url} is not on this machine; refused in tests.")
        return self.inner.send(request)


def test_the_engines_mirror_is_asked_first_for_a_docker_hub_image(
    mirrored_engine: DockerClient,
    e2e_registry: RegistryServer,
    e2e_images: Images,
    docker_api: Any,
) -> None:
    mirror = f"http://{e2e_registry.host}"
    assert [m.rstrip("/") for m in mirrored_engine.registry_mirrors()] == [mirror]

    # On the mirror, a Docker Hub repository path: library/<name>.
    pushed = e2e_images.publish("library/wt-mirrored", "v1")
    expected = docker_api.inspect_image(pushed)["RepoDigests"]
    transport = LoopbackOnly()
    registry = HttpRegistry(transport=transport, mirrors=mirrored_engine.registry_mirrors())

    digest = registry.digest(parse_reference("wt-mirrored:latest"))

    assert f"{e2e_registry.host}/library/wt-mirrored@{digest}" in expected
    assert {url.split("/")[2] for url in transport.urls} == {e2e_registry.host}
