"""Two real engines and one registry: one digest request per image, a failing host reported."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.dockerd import Dockerd
from tests.support.e2e_fixtures import Images, Names
from tests.support.registry import RegistryServer
from watchtower import UpdateParams
from watchtower.docker import DockerClient
from watchtower.events import Event, Observers, UpdateAvailable
from watchtower.hosts import update_hosts
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome

pytestmark = pytest.mark.e2e


def start(api: Any, image: str, name: str) -> str:
    api.pull(image)
    created = api.create_container(
        image, name=name, host_config=api.create_host_config(network_mode="none")
    )
    api.start(created["Id"])
    return str(created["Id"])


def our_digest_requests(registry: RegistryServer, since: int, repositories: list[str]) -> int:
    """Manifest HEADs for ``repositories`` after line ``since`` that were not an engine's."""
    return sum(
        1
        for line in registry.access_log()[since:]
        if '"HEAD /v2/' in line
        and "/manifests/" in line
        and '"docker/' not in line
        and any(f"/v2/{repo}/manifests/" in line for repo in repositories)
    )


@pytest.fixture
def engines(dockerd: Dockerd, spare_dockerd: Dockerd) -> Any:
    import docker

    urls = {"one": dockerd.url, "two": spare_dockerd.url}
    apis = {
        h: docker.APIClient(base_url=url, version="auto", timeout=60) for h, url in urls.items()
    }
    clients = {h: DockerClient.from_env(url, timeout=10) for h, url in urls.items()}
    yield apis, clients
    for api in apis.values():
        api.close()
    for client in clients.values():
        client.close()


def test_two_hosts_ask_the_registry_once_per_image(
    engines: Any, e2e_images: Images, e2e_registry: RegistryServer, e2e_names: Names
) -> None:
    apis, clients = engines
    repositories = [e2e_names("hosts-a"), e2e_names("hosts-b")]
    images = [e2e_images.publish(repo, "v1") for repo in repositories]
    for host, api in apis.items():
        for number, image in enumerate(images):
            start(api, image, e2e_names(f"{host}-{number}"))
    for repo in repositories:
        e2e_images.publish(repo, "v2")
    mark = len(e2e_registry.access_log())

    # Engine two's containers go with it; e2e_names removes engine one's.
    result = update_hosts(clients, HttpRegistry(), UpdateParams(names=(e2e_names.pattern,)))

    assert our_digest_requests(e2e_registry, mark, repositories) == len(images)
    assert result.failures == {}
    updated = sorted((e.host, e.name) for e in result.total.updated)
    assert updated == sorted(
        (host, e2e_names(f"{host}-{n}")) for host in apis for n in range(len(images))
    )
    v2 = e2e_images.build("v2")
    for host, api in apis.items():
        assert api.inspect_container(e2e_names(f"{host}-0"))["Image"] == v2


def test_an_engine_stopped_mid_run_is_reported_and_the_other_is_updated(
    engines: Any, spare_dockerd: Dockerd, e2e_images: Images, e2e_names: Names
) -> None:
    apis, clients = engines
    repository = e2e_names("hosts-down")
    image = e2e_images.publish(repository, "v1")
    for host, api in apis.items():
        start(api, image, e2e_names(host))
    e2e_images.publish(repository, "v2")

    def stop_engine_two(event: Event) -> None:
        # Engine two goes away after its plan, before its replacement.
        if isinstance(event, UpdateAvailable) and event.container == e2e_names("two"):
            spare_dockerd.process.terminate()
            spare_dockerd.process.wait(60)

    result = update_hosts(
        clients,
        HttpRegistry(),
        UpdateParams(names=(e2e_names.pattern,), stop_timeout=timedelta(seconds=2)),
        observer=Observers(prompt=stop_engine_two),  # before the run goes on
    )

    one = result.total.get(e2e_names("one"))
    assert one is not None and (one.host, one.outcome) == ("one", Outcome.UPDATED)
    assert apis["one"].inspect_container(e2e_names("one"))["Image"] == e2e_images.build("v2")
    failed = [e for e in result.total.failed if e.host == "two"]
    assert failed, result.total.to_dict()
    assert "unreachable" in failed[0].reason
