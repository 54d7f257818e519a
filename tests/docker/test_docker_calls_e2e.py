"""Engine API calls per replaced container, counted on a real engine."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest

from tests.support.e2e_fixtures import Images, Names
from watchtower import UpdateParams, update
from watchtower.docker import DockerClient
from watchtower.registry import HttpRegistry

pytestmark = pytest.mark.e2e

_ID = re.compile(r"/[0-9a-f]{64}|/sha256:[0-9a-f]{64}")


def test_a_replacement_makes_one_engine_call_per_step(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    repo = e2e_names("calls")
    image = e2e_images.publish(repo, "v1")
    for index in range(3):
        created = docker_api.create_container(
            image,
            name=e2e_names(f"calls{index}"),
            host_config=docker_api.create_host_config(network_mode="none"),
        )
        docker_api.start(created["Id"])
    e2e_images.publish(repo, "v2")
    new_id = e2e_images.build("v2")
    calls: Counter[str] = Counter()
    new_image_inspects = []

    def count(response: Any, *args: Any, **kwargs: Any) -> None:
        path = unquote(response.request.path_url.split("?")[0])
        is_image_inspect = "/images/" in path and path.endswith("/json")
        if is_image_inspect and (new_id in path or repo in path):
            new_image_inspects.append(path)
        path = _ID.sub("/ID", path)
        calls[f"{response.request.method} {re.sub(r'^/v[0-9.]+', '', path)}"] += 1

    hooks = docker_client.api.hooks["response"]
    hooks.append(count)
    try:
        report = update(
            docker_client,
            HttpRegistry(),
            UpdateParams(names=(e2e_names.pattern,), stop_timeout=timedelta(seconds=2)),
        )
    finally:
        hooks.remove(count)

    assert len(report.updated) == 3, report
    # Each step of a replacement is one call: no re-inspection of what the
    # engine answered, no image inspected twice, no health poll without a
    # health check.
    for step in (
        "POST /containers/ID/rename",
        "POST /containers/ID/stop",
        "POST /containers/create",
        "POST /containers/ID/start",
        "DELETE /containers/ID",
    ):
        assert calls[step] == 3, (step, calls)
    # The new image is inspected by its reference for the check and after
    # the pull, never again per replacement.
    assert len(new_image_inspects) <= 2, new_image_inspects
