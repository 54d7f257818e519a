"""The real command over a hosts file: a plain engine, a swarm manager, an engine that is down."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_e2e import environment, run_container
from tests.docker.test_swarm_e2e import create_service, wait_running
from tests.support.e2e_fixtures import Images, Names

pytestmark = pytest.mark.e2e


def test_run_once_over_a_hosts_file(
    dockerd: Any,
    docker_api: Any,
    swarm_dockerd: Any,
    swarm_api: Any,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    repository = e2e_names("cli-hosts")
    image = e2e_images.publish(repository, "v1")
    run_container(docker_api, image, e2e_names("app"))
    service = create_service(swarm_api, e2e_names("svc"), image, order="stop-first")
    try:
        e2e_images.publish(repository, "v2")
        new_digest = docker_api.inspect_distribution(image)["Descriptor"]["digest"]
        hosts = tmp_path / "hosts"
        hosts.write_text(
            f"plain {dockerd.url}\n"
            f"manager {swarm_dockerd.url} swarm\n"
            f"down unix://{tmp_path}/no-engine.sock\n"
        )
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "watchtower",
                "--run-once",
                "--porcelain",
                "json",
                "--host",
                dockerd.url,
                "--hosts-file",
                str(hosts),
                f"{e2e_names.prefix}.*",
            ],
            env=environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        assert "host down was skipped" in result.stderr
        assert docker_api.inspect_container(e2e_names("app"))["Image"] == e2e_images.build("v2")
        spec = swarm_api.inspect_service(service["ID"])["Spec"]["TaskTemplate"]["ContainerSpec"]
        assert spec["Image"] == f"{image}@{new_digest}"
        wait_running(swarm_api, service["ID"], 2)
        states = {c["name"]: c["state"] for c in json.loads(result.stdout)["containers"]}
        assert states == {
            e2e_names("app"): "Updated",
            e2e_names("svc"): "Updated",
            "down": "Failed",
        }
    finally:
        swarm_api.remove_service(service["ID"])


def test_run_once_with_swarm_services_on_a_manager(
    swarm_dockerd: Any, swarm_api: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    repository = e2e_names("cli-swarm")
    image = e2e_images.publish(repository, "v1")
    service = create_service(swarm_api, e2e_names("svc"), image, order="start-first")
    try:
        e2e_images.publish(repository, "v2")
        new_digest = swarm_api.inspect_distribution(image)["Descriptor"]["digest"]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "watchtower",
                "--run-once",
                "--porcelain",
                "v1",
                "--host",
                swarm_dockerd.url,
                "--swarm-services",
                e2e_names("svc"),
            ],
            env=environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{e2e_names('svc')} ({image}): Updated\n"
        spec = swarm_api.inspect_service(service["ID"])["Spec"]["TaskTemplate"]["ContainerSpec"]
        assert spec["Image"] == f"{image}@{new_digest}"
    finally:
        swarm_api.remove_service(service["ID"])
