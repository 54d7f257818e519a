"""Pytest fixtures for the end-to-end tests: private engines and a registry per session.

``dockerd`` is the engine a test runs on: the private dockerd, or with
``engine_kind`` ``podman`` the private Podman of
:mod:`tests.support.podman_fixtures`. A module marked :data:`ON_EVERY_ENGINE`
runs each of its tests on both; each engine starts once per session. An
engine that cannot be started skips (with the reason), unless
``WATCHTOWER_E2E_REQUIRED=1`` (set by ``.ci/run``), where it fails instead.
``e2e_names`` hands out unique names and removes every container that
carries one when the test ends.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from . import dockerd as dockerd_support
from . import images
from . import registry as registry_support
from .images import POLITE, STUBBORN, build_image, push

_COUNTER = itertools.count()

#: What every name handed out in this session starts with.
SESSION_PREFIX = f"wt{os.getpid() % 10000}-"

#: The engines the end-to-end suite runs on.
ENGINES = ("docker", "podman")

#: Runs a test (or, as ``pytestmark``, a module's tests) that uses an engine once on each.
ON_EVERY_ENGINE = pytest.mark.every_engine


def pytest_configure(config: pytest.Config) -> None:
    """Register :data:`ON_EVERY_ENGINE`'s marker."""
    config.addinivalue_line("markers", "every_engine: run once on each engine of ENGINES")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise the marked tests that use an engine over :data:`ENGINES`."""
    marked = metafunc.definition.get_closest_marker("every_engine") is not None
    if marked and "engine_kind" in metafunc.fixturenames:
        metafunc.parametrize("engine_kind", ENGINES, indirect=True, scope="session")


def unavailable(reason: str) -> None:
    """Skip the test because ``reason``, or fail it where the suite must run."""
    if dockerd_support.required():
        pytest.fail(f"the end-to-end suite must run here, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def engine_kind(request: pytest.FixtureRequest) -> str:
    """Which engine ``dockerd`` is: ``docker`` unless a test is parametrised over engines."""
    return str(getattr(request, "param", "docker"))


@pytest.fixture(scope="session")
def dockerd(engine_kind: str, request: pytest.FixtureRequest) -> Any:
    """The engine of the test: ``docker_engine`` or ``podman_engine`` (both have ``url``)."""
    return request.getfixturevalue(f"{engine_kind}_engine")


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[dockerd_support.Dockerd]:
    """A private dockerd for the whole session."""
    reason = dockerd_support.unavailable_reason()
    if reason is None and not images.busybox_available():
        reason = "no static busybox to build test images (Debian package busybox-static)"
    if reason is not None:
        unavailable(reason)
    try:
        engine = dockerd_support.Dockerd.start()
    except RuntimeError as error:
        unavailable(f"dockerd did not start: {error}")
        raise
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="session")
def e2e_registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[registry_support.RegistryServer]:
    """An anonymous docker-registry on 127.0.0.1 for the whole session."""
    if not registry_support.available():
        unavailable("docker-registry is not installed (Debian package docker-registry)")
    server = registry_support.RegistryServer.start(tmp_path_factory.mktemp("e2e-registry"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def docker_api(dockerd: dockerd_support.Dockerd) -> Iterator[Any]:
    """A low-level docker-py client of the private engine, for setting up and asserting."""
    import docker

    api = docker.APIClient(base_url=dockerd.url, version="auto", timeout=60)
    try:
        yield api
    finally:
        api.close()


@pytest.fixture(scope="session")
def docker_client(dockerd: dockerd_support.Dockerd) -> Iterator[Any]:
    """watchtower's :class:`~watchtower.docker.DockerClient` on the private engine."""
    from watchtower.docker import DockerClient

    client = DockerClient.from_env(dockerd.url)
    try:
        yield client
    finally:
        client.close()


#: Serves ``/health`` (``ok``) on ``127.0.0.1:$PORT`` (host network), then runs until SIGTERM.
SERVE = (
    "mkdir -p /tmp/www && echo ok > /tmp/www/health && httpd -p 127.0.0.1:$PORT -h /tmp/www; "
    + POLITE
)

#: Serves nothing at /health (every GET answers 404), then runs until SIGTERM.
LOST = "mkdir -p /tmp/www && httpd -p 127.0.0.1:$PORT -h /tmp/www; " + POLITE

#: Rewrites the volume mounted at ``/data``: a file changed, one added, one removed.
SCRIBBLE = "echo v2 > /data/state && echo new > /data/added && rm -f /data/keep; "


def _no_shell(command: str) -> str:
    """Dockerfile lines that leave the image without ``sh``, running ``command`` through busybox."""
    return "RUN rm /bin/sh\nCMD " + json.dumps(["busybox", "sh", "-c", command])


#: The test images built once per session: name -> (version, Dockerfile lines, command).
VARIANTS: dict[str, tuple[str, str, str]] = {
    "v1": ("1", "", POLITE),
    "v2": ("2", "", POLITE),
    "vol1": ("1", "VOLUME /data", POLITE),
    "vol2": ("2", "VOLUME /data", POLITE),
    "healthy1": ("1", "HEALTHCHECK --interval=200ms --timeout=2s --retries=2 CMD true", POLITE),
    "healthy2": ("2", "HEALTHCHECK --interval=200ms --timeout=2s --retries=2 CMD true", POLITE),
    "unhealthy2": ("2", "HEALTHCHECK --interval=200ms --timeout=2s --retries=1 CMD false", POLITE),
    "broken2": ("2", 'CMD ["/no/such/program"]', POLITE),
    "stubborn1": ("1", "", STUBBORN),
    "stubborn2": ("2", "", STUBBORN),
    "serve1": ("1", "", SERVE),
    "serve2": ("2", "", SERVE),
    # Serves nothing at /health: every GET of it answers 404.
    "lost2": ("2", "", "mkdir -p /tmp/www && httpd -p 127.0.0.1:$PORT -h /tmp/www; " + POLITE),
    "exits2": ("2", "", "sleep 5; exit 1"),
    # Rewrite the volume at /data, then serve /health well (ok) or not at all (lost).
    "scribble2": ("2", "", SCRIBBLE + SERVE),
    # Without a shell, as a distroless image: its v2 changes files in /data, adds none.
    "noshell1": ("1", _no_shell(SERVE), SERVE),
    "noshelllost2": (
        "2",
        _no_shell("echo v2 > /data/state; rm -f /data/keep; " + LOST),
        "",
    ),
    "scribblelost2": (
        "2",
        "",
        SCRIBBLE + "mkdir -p /tmp/www && httpd -p 127.0.0.1:$PORT -h /tmp/www; " + POLITE,
    ),
    "fatal2": ("2", "", "echo 'FATAL: no database'; " + SERVE),
}


class Images:
    """The session's test images, and publishing them under a test's own repository."""

    def __init__(self, api: Any, registry_host: str, ids: dict[str, str] | None = None) -> None:
        self.api = api
        self.registry_host = registry_host
        self.ids: dict[str, str] = {} if ids is None else ids

    def build(self, variant: str) -> str:
        """The id of ``variant``, built on first use."""
        if variant not in self.ids:
            version, dockerfile, command = VARIANTS[variant]
            self.ids[variant] = build_image(
                self.api,
                f"wt-test-base:{variant}",
                version=version,
                dockerfile=dockerfile,
                command=command,
            )
        return self.ids[variant]

    def publish(
        self,
        repository: str,
        variant: str,
        tag: str = "latest",
        *,
        labels: Mapping[str, str] | None = None,
    ) -> str:
        """Tag ``variant`` as ``<registry>/<repository>:<tag>``, push it, return that reference.

        With ``labels`` (``org.opencontainers.image.version`` and the like) the
        image is ``variant`` with those labels, built for this publication.
        """
        image_id = self.build(variant) if not labels else self._labelled(variant, labels)
        reference = f"{self.registry_host}/{repository}:{tag}"
        self.api.tag(image_id, f"{self.registry_host}/{repository}", tag)
        push(self.api, reference)
        return reference

    def _labelled(self, variant: str, labels: Mapping[str, str]) -> str:
        version, dockerfile, command = VARIANTS[variant]
        label_lines = "\n".join(f"LABEL {json.dumps(k)}={json.dumps(v)}" for k, v in labels.items())
        tag = f"wt-test-labelled:{variant}-{abs(hash(tuple(sorted(labels.items())))):x}"
        return build_image(
            self.api,
            tag,
            version=version,
            dockerfile="\n".join(filter(None, [dockerfile, label_lines])),
            command=command,
        )


@pytest.fixture(scope="session")
def _built_images() -> dict[str, dict[str, str]]:
    # Engine kind -> variant -> image id: built once per engine and session.
    return {kind: {} for kind in ENGINES}


@pytest.fixture(scope="session")
def e2e_images(
    docker_api: Any,
    e2e_registry: registry_support.RegistryServer,
    engine_kind: str,
    _built_images: dict[str, dict[str, str]],
) -> Images:
    """The session's test images (built lazily, once per engine) and a way to publish them."""
    return Images(docker_api, e2e_registry.host, _built_images[engine_kind])


class Names:
    """Unique names for one test, and the clean-up of what carries them."""

    def __init__(self, api: Any, test: str) -> None:
        self.api = api
        self.prefix = f"{SESSION_PREFIX}{next(_COUNTER)}-"
        self.networks: list[str] = []

    @property
    def pattern(self) -> str:
        """A name pattern that selects exactly this test's containers."""
        return f"{self.prefix}.*"

    def __call__(self, name: str) -> str:
        """A unique name for ``name`` within this test session."""
        return f"{self.prefix}{name}"

    def cleanup(self) -> None:
        """Remove the test's containers, then its networks."""
        for entry in self.api.containers(all=True):
            names = [n.lstrip("/") for n in entry.get("Names") or ()]
            if any(n.startswith(self.prefix) for n in names):
                with contextlib.suppress(Exception):
                    self.api.remove_container(entry["Id"], force=True, v=True)
        for network in self.networks:
            with contextlib.suppress(Exception):
                self.api.remove_network(network)


@pytest.fixture
def e2e_names(docker_api: Any, request: pytest.FixtureRequest) -> Iterator[Names]:
    """Unique names for a test; its containers and networks are removed afterwards."""
    names = Names(docker_api, request.node.name)
    try:
        yield names
    finally:
        names.cleanup()


__all__ = [
    "ENGINES",
    "ON_EVERY_ENGINE",
    "Images",
    "Names",
    "docker_api",
    "docker_client",
    "docker_engine",
    "dockerd",
    "e2e_images",
    "e2e_names",
    "e2e_registry",
    "engine_kind",
    "unavailable",
]
