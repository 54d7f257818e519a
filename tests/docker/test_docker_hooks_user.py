"""A lifecycle hook runs as the user it is given, on a real engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.e2e_fixtures import ON_EVERY_ENGINE, Images, Names
from watchtower.docker import DockerClient

pytestmark = [pytest.mark.e2e, ON_EVERY_ENGINE]


def test_a_hook_runs_as_the_user_given(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    name = e2e_names("hook-user")
    cid = docker_api.create_container(e2e_images.build("v1"), name=name)["Id"]
    docker_api.start(cid)
    second = timedelta(seconds=10)
    assert docker_client.run_hook(cid, "id -u; id -g", second).output == "0\n0"
    assert docker_client.run_hook(cid, "id -u; id -g", second, user="1234:5678").output == (
        "1234\n5678"
    )
    started = docker_client.run_hook(cid, "sleep 30", timedelta(milliseconds=500), user="1234")
    assert started.timed_out
    processes = docker_api.exec_start(docker_api.exec_create(cid, ["ps"])).decode()
    assert "sleep 30" not in processes  # the hook's own user killed it


def test_a_hook_that_times_out_before_its_first_line_is_still_killed(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    cid = docker_api.create_container(e2e_images.build("v1"), name=e2e_names("hook-at-once"))["Id"]
    docker_api.start(cid)
    # No time at all: the hook's pid, its first line, comes after the timeout.
    started = docker_client.run_hook(cid, "sleep 31", timedelta(0), user="1234")
    assert started.timed_out
    processes = docker_api.exec_start(docker_api.exec_create(cid, ["ps"])).decode()
    assert "sleep 31" not in processes
