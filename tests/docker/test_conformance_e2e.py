"""The conformance suite of watchtower.testing, run against the shipped backends for real.

DockerClient on the private engines (dockerd and Podman), HttpRegistry on the
private registry: what a user's own backend is held to, these pass too, but
for one finding on Podman (:data:`PODMAN_IMAGE_IN_USE`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tests.support.e2e_fixtures import ON_EVERY_ENGINE, Images, Names
from tests.support.registry import RegistryServer
from watchtower.docker import DockerClient
from watchtower.model import ImageRef
from watchtower.reference import parse_reference
from watchtower.registry import HttpRegistry
from watchtower.testing import conformance
from watchtower.testing.conformance import EngineSubject, RegistrySubject

pytestmark = [pytest.mark.e2e, ON_EVERY_ENGINE]

PODMAN_IMAGE_IN_USE = (
    "Podman 4.3 refuses to remove an image by id while it has more than one tag before it "
    "looks at the containers using it, so DockerClient raises a plain EngineError where the "
    "protocol promises ImageInUseError (nothing is removed either way)"
)


@pytest.fixture
def engine_subject(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> EngineSubject:
    """The docker backend, running containers of a published test image with no network."""
    image = parse_reference(e2e_images.publish(e2e_names("conformance"), "v1"))

    def run(name: str, labels: Mapping[str, str]) -> str:
        created = docker_api.create_container(
            str(image),
            name=name,
            labels=dict(labels),
            host_config=docker_api.create_host_config(network_mode="none"),
        )
        docker_api.start(created["Id"])
        return str(created["Id"])

    return EngineSubject(docker_client, run=run, image=image, names=e2e_names)


@pytest.fixture
def registry_subject(
    e2e_images: Images, e2e_names: Names, e2e_registry: RegistryServer
) -> RegistrySubject:
    """The registry backend on the private registry; each push alternates two test images."""
    pushes: dict[str, Any] = {}

    def publish(ref: ImageRef) -> None:
        variants = pushes.setdefault(str(ref), itertools.cycle(["v1", "v2"]))
        e2e_images.publish(ref.path, next(variants), ref.tag or "latest")

    def references(stem: str) -> ImageRef:
        return parse_reference(f"{e2e_registry.host}/{e2e_names(stem)}:latest")

    return RegistrySubject(HttpRegistry(), publish=publish, references=references)


@pytest.mark.parametrize("check", conformance.ENGINE_CHECKS, ids=conformance.name)
def test_the_docker_backend_keeps_the_contract(
    check: Callable[[EngineSubject], None],
    engine_subject: EngineSubject,
    docker_api: Any,
    e2e_names: Names,
    engine_kind: str,
    request: pytest.FixtureRequest,
) -> None:
    if engine_kind == "podman" and check is conformance.check_an_image_in_use_is_not_removed:
        request.applymarker(pytest.mark.xfail(strict=True, reason=PODMAN_IMAGE_IN_USE))
    check(engine_subject)
    left = [
        entry["Names"]
        for entry in docker_api.containers(all=True)
        if any(n.lstrip("/").startswith(e2e_names.prefix) for n in entry.get("Names") or ())
    ]
    assert left == [], "a check left a container behind"


@pytest.mark.parametrize("check", conformance.REGISTRY_CHECKS, ids=conformance.name)
def test_the_registry_backend_keeps_the_contract(
    check: Callable[[RegistrySubject], None], registry_subject: RegistrySubject
) -> None:
    check(registry_subject)
