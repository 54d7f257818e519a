"""Swarm services on a real one-node swarm: rolled out, and rolled back, by swarm itself."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

from tests.support.e2e_fixtures import Images
from tests.support.swarm_fixtures import Services
from watchtower import UpdateParams, update
from watchtower.docker import DockerClient
from watchtower.docker.swarm import SwarmClient
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome

pytestmark = pytest.mark.e2e

SECOND = 1_000_000_000  # swarm's durations are in nanoseconds


def create_service(
    api: Any, name: str, image: str, *, order: str, replicas: int = 2
) -> dict[str, Any]:
    """A service on ``image`` (pinned to its digest, as ``docker service create`` does)."""
    from docker.types import (
        ContainerSpec,
        RestartPolicy,
        RollbackConfig,
        ServiceMode,
        TaskTemplate,
        UpdateConfig,
    )

    digest = api.inspect_distribution(image)["Descriptor"]["digest"]
    created: dict[str, Any] = api.create_service(
        TaskTemplate(
            ContainerSpec(f"{image}@{digest}", stop_grace_period=SECOND),
            restart_policy=RestartPolicy(condition="on-failure", delay=SECOND // 5),
        ),
        name=name,
        mode=ServiceMode("replicated", replicas=replicas),
        update_config=UpdateConfig(
            parallelism=1, order=order, failure_action="rollback", monitor=2 * SECOND
        ),
        rollback_config=RollbackConfig(parallelism=2, order="stop-first", monitor=SECOND),
    )
    wait_running(api, created["ID"], replicas)
    return created


def running_tasks(api: Any, service_id: str) -> list[dict[str, Any]]:
    return [
        t
        for t in api.tasks(filters={"service": service_id})
        if t["Status"]["State"] == "running" and t["DesiredState"] == "running"
    ]


def wait_running(api: Any, service_id: str, replicas: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(running_tasks(api, service_id)) < replicas:
        assert time.monotonic() < deadline, api.tasks(filters={"service": service_id})
        time.sleep(0.2)


def run(swarm_dockerd: Any, services: Services) -> Any:
    client = DockerClient.from_env(swarm_dockerd.url)
    try:
        return update(
            client,
            HttpRegistry(),
            UpdateParams(names=(f"{services.prefix}.*",)),
            services=SwarmClient.of(client, rollout_timeout=timedelta(seconds=90)),
        )
    finally:
        client.close()


@pytest.mark.parametrize("order", ["start-first", "stop-first"])
def test_a_stale_service_is_rolled_out_by_swarm_in_its_own_order(
    swarm_dockerd: Any, swarm_api: Any, swarm_services: Services, e2e_images: Images, order: str
) -> None:
    repository = swarm_services(f"app-{order}")
    image = e2e_images.publish(repository, "v1")
    service = create_service(swarm_api, swarm_services("web"), image, order=order)
    old_tasks = {t["ID"] for t in running_tasks(swarm_api, service["ID"])}
    e2e_images.publish(repository, "v2")
    new_digest = swarm_api.inspect_distribution(image)["Descriptor"]["digest"]

    report = run(swarm_dockerd, swarm_services)

    [entry] = report.entries
    assert (entry.kind, entry.outcome, entry.replicas) == ("service", Outcome.UPDATED, 2)
    assert entry.new_image_id == new_digest
    spec = swarm_api.inspect_service(service["ID"])["Spec"]
    assert spec["TaskTemplate"]["ContainerSpec"]["Image"] == f"{image}@{new_digest}"
    assert spec["UpdateConfig"]["Order"] == order  # the service's own settings are kept
    wait_running(swarm_api, service["ID"], 2)
    tasks = swarm_api.tasks(filters={"service": service["ID"]})
    new = running_tasks(swarm_api, service["ID"])
    assert len(new) == 2 and not {t["ID"] for t in new} & old_tasks
    assert all(new_digest in t["Spec"]["ContainerSpec"]["Image"] for t in new)
    v2 = e2e_images.build("v2")
    for task in new:
        container = task["Status"]["ContainerStatus"]["ContainerID"]
        assert swarm_api.inspect_container(container)["Image"] == v2
    # The order: with start-first a new task ran before the first old one
    # stopped; with stop-first an old one stopped before any new one ran.
    first_new = min(t["Status"]["Timestamp"] for t in new)
    first_old_stop = min(t["Status"]["Timestamp"] for t in tasks if t["ID"] in old_tasks)
    assert (first_new < first_old_stop) == (order == "start-first"), (first_new, first_old_stop)


def test_a_failing_image_is_rolled_back_by_swarm_and_reported(
    swarm_dockerd: Any, swarm_api: Any, swarm_services: Services, e2e_images: Images
) -> None:
    repository = swarm_services("broken")
    image = e2e_images.publish(repository, "v1")
    service = create_service(swarm_api, swarm_services("web"), image, order="stop-first")
    before = swarm_api.inspect_service(service["ID"])["Spec"]["TaskTemplate"]["ContainerSpec"]
    e2e_images.publish(repository, "broken2")  # its command does not exist: it exits at once

    report = run(swarm_dockerd, swarm_services)

    [entry] = report.entries
    assert (entry.kind, entry.outcome, entry.rolled_back) == ("service", Outcome.FAILED, True)
    assert "rolled the service back" in entry.reason
    inspected = swarm_api.inspect_service(service["ID"])
    assert inspected["UpdateStatus"]["State"] == "rollback_completed"
    assert inspected["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] == before["Image"]
    wait_running(swarm_api, service["ID"], 2)


def test_task_containers_are_left_to_swarm(
    swarm_dockerd: Any, swarm_api: Any, swarm_services: Services, e2e_images: Images
) -> None:
    repository = swarm_services("tasks")
    image = e2e_images.publish(repository, "v1")
    service = create_service(swarm_api, swarm_services("web"), image, order="stop-first")
    tasks = {t["ID"] for t in running_tasks(swarm_api, service["ID"])}
    e2e_images.publish(repository, "v2")
    client = DockerClient.from_env(swarm_dockerd.url)
    try:
        # Containers only, every name: the stale tasks are not replaced.
        report = update(client, HttpRegistry())
    finally:
        client.close()
    assert report.entries == ()
    assert {t["ID"] for t in running_tasks(swarm_api, service["ID"])} == tasks
