"""Registry requests of whole runs, counted in a real registry's log: the floor, and no more.

The engine's own pulls go to the same registry; its requests are told
apart from watchtower's by their User-Agent.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.e2e_fixtures import Images, Names
from tests.support.registry import RegistryServer
from watchtower import UpdateParams, update
from watchtower.docker import DockerClient
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome

pytestmark = pytest.mark.e2e


def requests_since(registry: RegistryServer, since: int) -> tuple[list[str], list[str]]:
    """Watchtower's and the engine's request lines (``HEAD /v2/...``) after line ``since``."""
    ours: list[str] = []
    engine: list[str] = []
    for line in registry.access_log()[since:]:
        request = line.split('"')[1].rsplit(" ", 1)[0]
        (ours if '"watchtower-updater/' in line else engine).append(request)
    return sorted(ours), engine


def test_each_scan_asks_one_digest_per_distinct_image_and_pulls_only_what_changed(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    e2e_registry: RegistryServer,
) -> None:
    repos = [e2e_names(f"scan{index}") for index in range(3)]
    references = [e2e_images.publish(repo, "v1") for repo in repos]
    for number in range(6):  # two containers per image
        created = docker_api.create_container(
            references[number % 3],
            name=e2e_names(f"c{number}"),
            host_config=docker_api.create_host_config(network_mode="none"),
        )
        docker_api.start(created["Id"])
    e2e_images.publish(repos[0], "v2")
    docker_api.remove_image(references[0])  # only its tag: the engine has to pull it
    heads = sorted(f"HEAD /v2/{repo}/manifests/latest" for repo in repos)
    registry = HttpRegistry()  # one client for every scan, as the daemon keeps it
    params = UpdateParams(names=(e2e_names.pattern,))

    since = len(e2e_registry.access_log())
    report = update(docker_client, registry, params)
    ours, engine = requests_since(e2e_registry, since)

    assert sorted(e.name for e in report.updated) == [e2e_names("c0"), e2e_names("c3")]
    # The registry's challenge once, then one manifest HEAD per distinct image.
    assert ours == sorted(["GET /v2/", *heads])
    # The engine pulls the changed image, and nothing else.
    assert engine and all(r == "GET /v2/" or f"/v2/{repos[0]}/" in r for r in engine)

    since = len(e2e_registry.access_log())
    report = update(docker_client, registry, params)
    ours, engine = requests_since(e2e_registry, since)

    assert {e.outcome for e in report} == {Outcome.FRESH}
    assert ours == heads  # the challenge is remembered
    assert engine == []
