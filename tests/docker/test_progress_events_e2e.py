"""A real pull told as it goes: Pulling, then Pulled with the size the engine gives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.e2e_fixtures import ON_EVERY_ENGINE, Images, Names
from watchtower import UpdateParams, parse_reference, update
from watchtower.docker import DockerClient
from watchtower.events import Event, Planned, Pulled, Pulling, RunFinished
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome

pytestmark = [pytest.mark.e2e, ON_EVERY_ENGINE]


def test_a_pull_returns_the_size_the_engine_gives(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    reference = e2e_images.publish(e2e_names("sized"), "v1")
    image = docker_client.pull_image(parse_reference(reference))
    assert image.size is not None and image.size > 0
    assert image.size == docker_api.inspect_image(reference)["Size"]


def test_a_real_update_tells_its_pull_with_a_positive_size_and_its_plan(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    repository = e2e_names("progress")
    reference = e2e_images.publish(repository, "v1")
    name = e2e_names("progress")
    created = docker_api.create_container(
        reference, name=name, host_config=docker_api.create_host_config(network_mode="none")
    )
    docker_api.start(created["Id"])
    e2e_images.publish(repository, "v2")
    events: list[Event] = []

    report = update(
        docker_client,
        HttpRegistry(),
        UpdateParams(names=(e2e_names.pattern,), stop_timeout=timedelta(seconds=2)),
        observer=events.append,
    )

    entry = report.get(name)
    assert entry is not None and entry.outcome is Outcome.UPDATED, report.to_dict()
    [pulling] = [e for e in events if isinstance(e, Pulling)]
    [pulled] = [e for e in events if isinstance(e, Pulled)]
    assert pulling.image == pulled.image == parse_reference(reference).familiar
    assert pulling.containers == pulled.containers == (name,)
    assert pulled.image_id == e2e_images.build("v2")
    assert pulled.size is not None and pulled.size > 0
    assert pulled.size == docker_api.inspect_image(pulled.image_id)["Size"]
    assert pulled.duration >= timedelta(0)
    [planned] = [e for e in events if isinstance(e, Planned)]
    assert (planned.containers, planned.to_update, planned.stale) == (1, 1, 1)
    kinds = [e.kind for e in events]
    assert kinds.index("pulling") < kinds.index("pulled") < kinds.index("planned")
    assert kinds.index("planned") < kinds.index("stopping")
    assert isinstance(events[-1], RunFinished)
