"""A compose stack replaced as one on the real engine, and what ``docker-compose up -d`` does then.

The stack is started by the compose that Debian ships (``docker-compose``
1.29) against the test's private engine; its services run on the host's
network, so the probes reach them on ports of this test's own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.docker.test_probes_e2e import answer, free_port, wait_for
from tests.support.e2e_fixtures import Images, Names
from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.docker import DockerClient
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome

pytestmark = [pytest.mark.e2e]

COMPOSE = shutil.which("docker-compose")


class Stack:
    """A two-service compose project, db and web (which depends on db)."""

    def __init__(self, api: Any, url: str, images: Images, names: Names, tmp: Path) -> None:
        if COMPOSE is None:
            pytest.skip("docker-compose is not installed (Debian package docker-compose)")
        self.api, self.url, self.images = api, url, images
        self.project = names("stack").lower()
        names.networks.append(f"{self.project}_default")
        self.repos = {"db": names("db"), "web": names("web")}
        self.ports = {"db": free_port(), "web": free_port()}
        self.file = tmp / "compose.yaml"
        refs = {s: f"{images.registry_host}/{r}:latest" for s, r in self.repos.items()}
        self.file.write_text(
            f"""version: "2.4"
services:
  db:
    image: {refs["db"]}
    network_mode: host
    environment: {{PORT: "{self.ports["db"]}"}}
    labels:
      {L.STACK}: "true"
      {L.PROBE_HTTP}: "http://:{self.ports["db"]}/health"
      {L.PROBE_TIMEOUT}: "3s"
  web:
    image: {refs["web"]}
    network_mode: host
    environment: {{PORT: "{self.ports["web"]}"}}
    depends_on: [db]
    labels:
      {L.STACK}: "true"
      {L.PROBE_HTTP}: "http://:{self.ports["web"]}/health"
      {L.PROBE_TIMEOUT}: "3s"
"""
        )

    def publish(self, db: str, web: str) -> None:
        self.images.publish(self.repos["db"], db)
        self.images.publish(self.repos["web"], web)

    def up(self) -> str:
        """``docker-compose up -d``; what it printed."""
        assert COMPOSE is not None
        env = {**os.environ, "DOCKER_HOST": self.url, "COMPOSE_INTERACTIVE_NO_CLI": "1"}
        done = subprocess.run(
            [COMPOSE, "-p", self.project, "-f", str(self.file), "up", "-d", "--no-build"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stderr + done.stdout

    def containers(self) -> dict[str, dict[str, Any]]:
        """The stack's containers by service: id, image, running."""
        found = self.api.containers(
            all=True, filters={"label": f"com.docker.compose.project={self.project}"}
        )
        out = {}
        for c in found:
            inspect = self.api.inspect_container(c["Id"])
            out[c["Labels"][L.COMPOSE_SERVICE]] = {
                "id": inspect["Id"],
                "image": inspect["Image"],
                "running": inspect["State"]["Running"],
                "name": inspect["Name"].lstrip("/"),
            }
        return out


def recreated(printed: str) -> set[str]:
    """The containers ``docker-compose up -d`` said it recreated."""
    return {
        line.split()[1]
        for line in printed.splitlines()
        if line.startswith("Recreating ") and line.endswith(" done")
    }


def run(client: DockerClient, names: Names) -> Any:
    params = UpdateParams(names=(names.pattern,), stop_timeout=timedelta(seconds=2))
    return update(client, HttpRegistry(), params)


@pytest.fixture
def stack(
    docker_api: Any, dockerd: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> Stack:
    the_stack = Stack(docker_api, dockerd.url, e2e_images, e2e_names, tmp_path)
    the_stack.publish("serve1", "serve1")
    the_stack.up()
    before = the_stack.containers()
    assert set(before) == {"db", "web"} and all(c["running"] for c in before.values())
    wait_for(lambda: all(answer(p) == 200 for p in the_stack.ports.values()))
    return the_stack


def test_a_stack_whose_second_service_fails_stays_on_v1_and_compose_keeps_it(
    stack: Stack, docker_client: DockerClient, e2e_names: Names
) -> None:
    before = stack.containers()
    stack.publish("serve2", "lost2")  # web's v2 serves no /health
    report = run(docker_client, e2e_names)
    web, db = (report.get(before[s]["name"]) for s in ("web", "db"))
    assert web.outcome is Outcome.FAILED and web.rolled_back, web.reason
    assert db.outcome is Outcome.FAILED and db.rolled_back, db.reason
    assert db.reason.startswith(f"rolled back with its stack: {before['web']['name']} failed:")
    assert stack.containers() == before  # the same containers, on v1, running
    stack.up()
    assert stack.containers() == before, "docker-compose up -d recreated the stack"


def test_a_stack_whose_services_pass_is_all_v2_and_compose_keeps_it_there(
    stack: Stack, docker_client: DockerClient, e2e_names: Names
) -> None:
    before = stack.containers()
    stack.publish("serve2", "serve2")
    report = run(docker_client, e2e_names)
    assert [e.outcome for e in report] == [Outcome.UPDATED, Outcome.UPDATED], [
        e.reason for e in report
    ]
    after = stack.containers()
    assert all(after[s]["id"] != before[s]["id"] and after[s]["running"] for s in after)
    assert all(after[s]["name"] == before[s]["name"] for s in after)
    printed = stack.up()
    # Compose 1.29 hashes the image id its tag names into the config hash, so it
    # recreates each container whose image changed, once, whoever changed it: on
    # the same v2 image, under the same name, as the same service and number
    # (the labels the replacement kept), with no second container beside it.
    # (docs/guides/stacks.rst says so; compose v2 keeps them, see
    # test_compose_labels_e2e.)
    again = stack.containers()
    assert all(again[s]["id"] != after[s]["id"] for s in after), "compose 1.29 changed"
    assert recreated(printed) == {f"{stack.project}_{s}_1" for s in after}, printed
    assert {s: (c["image"], c["name"], c["running"]) for s, c in again.items()} == {
        s: (c["image"], c["name"], True) for s, c in after.items()
    }
    stack.up()
    assert stack.containers() == again, "docker-compose up -d recreated the stack twice"


def test_compose_1_29_recreates_only_the_members_whose_image_changed(
    stack: Stack, docker_client: DockerClient, e2e_names: Names
) -> None:
    before = stack.containers()
    stack.images.publish(stack.repos["web"], "serve2")  # db's image stays as it was
    report = run(docker_client, e2e_names)
    assert report.get(before["web"]["name"]).outcome is Outcome.UPDATED
    after = stack.containers()
    assert after["db"] == before["db"] and after["web"]["id"] != before["web"]["id"]
    printed = stack.up()
    again = stack.containers()
    # db, which watchtower left alone, is left alone by compose too; web is
    # recreated once on the image watchtower gave it.
    assert again["db"] == before["db"], printed
    assert recreated(printed) == {f"{stack.project}_web_1"}, printed
    assert again["web"]["id"] != after["web"]["id"], printed
    assert (again["web"]["image"], again["web"]["running"]) == (after["web"]["image"], True)
    stack.up()
    assert stack.containers() == again, "docker-compose up -d recreated web twice"
