"""Compose v2's labels on a replacement, on the real engine (Docker and Podman's compat API).

Compose v2 writes the local id of a service's image into
``com.docker.compose.image`` and recreates, on ``docker compose up -d``, a
container whose label differs from the id its tag names now. The containers
here carry the labels compose v2 gives them; the test checks what it would
compare after an update.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.e2e_fixtures import ON_EVERY_ENGINE, Images, Names
from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.docker import DockerClient
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome

pytestmark = [pytest.mark.e2e, ON_EVERY_ENGINE]

ELSEWHERE = "sha256:" + "f" * 64


def test_compose_v2_image_label_follows_the_new_image(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    """The label moves to the new image's id where it held the old one, and only there."""
    refs, made = {}, {}
    for service in ("db", "web"):
        refs[service] = e2e_images.publish(e2e_names(service), "v1")
        old_id = docker_api.inspect_image(refs[service])["Id"]
        labels = {
            L.COMPOSE_PROJECT: "shop",
            L.COMPOSE_SERVICE: service,
            L.COMPOSE_CONFIG_HASH: f"hash-of-{service}",
            # web's label holds something compose did not write: it stays.
            L.COMPOSE_IMAGE: old_id if service == "db" else ELSEWHERE,
        }
        created = docker_api.create_container(
            refs[service],
            name=e2e_names(service),
            labels=labels,
            host_config=docker_api.create_host_config(network_mode="none"),
        )
        docker_api.start(created["Id"])
        made[service] = old_id
        e2e_images.publish(e2e_names(service), "v2")

    params = UpdateParams(names=(e2e_names.pattern,), stop_timeout=timedelta(seconds=2))
    report = update(docker_client, HttpRegistry(), params)
    assert [e.outcome for e in report] == [Outcome.UPDATED, Outcome.UPDATED], [
        e.reason for e in report
    ]

    found = {}
    for service in ("db", "web"):
        inspect = docker_api.inspect_container(e2e_names(service))
        found[service] = (inspect["Image"], inspect["Config"]["Labels"])
    new_db = docker_api.inspect_image(refs["db"])["Id"]
    assert made["db"] != new_db == found["db"][0]
    assert found["db"][1][L.COMPOSE_IMAGE] == new_db  # what `up -d` compares: equal
    assert found["web"][1][L.COMPOSE_IMAGE] == ELSEWHERE
    for service in ("db", "web"):
        labels = found[service][1]
        assert labels[L.COMPOSE_CONFIG_HASH] == f"hash-of-{service}"
        assert (labels[L.COMPOSE_PROJECT], labels[L.COMPOSE_SERVICE]) == ("shop", service)
