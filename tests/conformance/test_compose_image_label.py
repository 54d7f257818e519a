"""The fork's ``GetCreateConfig`` copies every label the user set; one is not copied as is.

Compose v2 writes the local id of a service's image into
``com.docker.compose.image`` and recreates, on ``docker compose up -d``, a
container whose label differs from the id its tag names. The fork copies the
label, so the replacement keeps naming the old image. The case is in
deviations.py: here the replacement names its own image.
"""

from __future__ import annotations

from typing import Any

from tests.conformance.deviations import deviation
from watchtower import labels as L
from watchtower.docker.recreate import create_spec

OLD = "sha256:" + "1" * 64
NEW = "sha256:" + "2" * 64


def _inspect(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "Id": "c" * 64,
        "Name": "/shop-web-1",
        "Image": OLD,
        "Config": {"Image": "example.org/web:1", "Labels": labels},
        "HostConfig": {"NetworkMode": "none"},
    }


def test_the_compose_image_label_names_the_new_image() -> None:
    marked = deviation(
        "nicholas-fedor/watchtower pkg/container/container.go",
        "GetCreateConfig",
        "com.docker.compose.image=<the old image's id> on the old container",
    )
    assert marked is not None and marked.ours == "the new image's id"
    labels = {L.COMPOSE_PROJECT: "shop", L.COMPOSE_CONFIG_HASH: "h", L.COMPOSE_IMAGE: OLD}
    spec = create_spec(_inspect(labels), {"Id": OLD}, {"Id": NEW})
    assert spec.config["Labels"] == {**labels, L.COMPOSE_IMAGE: NEW}


def test_every_other_label_is_copied_as_the_fork_does() -> None:
    labels = {L.COMPOSE_PROJECT: "shop", L.COMPOSE_IMAGE: "sha256:" + "f" * 64, "own": "x"}
    spec = create_spec(_inspect(labels), {"Id": OLD}, {"Id": NEW})
    assert spec.config["Labels"] == labels
