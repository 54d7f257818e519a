"""The image users run, built from the real Dockerfile and run the way Watchtower is run.

The base is built here from Debian's packages (mmdebstrap) and imported into
the private engine, since nothing can be pulled from a public registry; the
Dockerfile gets it as its ``BASE`` build argument, and the package with its
dependencies as wheels made on this machine (the build has no network).
The container then runs with the engine's socket mounted, against the private
registry: it updates three containers, then itself while others are stale.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.support import dockerd as dockerd_support
from tests.support import watchtower_image as image_build
from tests.support.e2e_fixtures import Images, Names
from tests.support.images import push
from tests.support.net import free_port, wait_for_port
from tests.support.receivers import WebhookReceiver
from tests.support.watchtower_image import Built

pytestmark = pytest.mark.e2e

SCOPE_LABEL = "com.centurylinklabs.watchtower.scope"
TOKEN = "image-test-token"


def _unavailable(reason: str) -> None:
    if dockerd_support.required():
        pytest.fail(f"the image test must run here, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def built_image(docker_api: Any, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The real Dockerfile built on a local Debian base, as ``nox -s image`` builds it."""
    try:
        return image_build.build(
            docker_api,
            tmp_path_factory.mktemp("image"),
            tag="wt-test-watchtower:built",
            base_tag="wt-test-python:bookworm",
        )
    except image_build.BaseUnavailableError as error:
        _unavailable(str(error))
        raise


@pytest.fixture(scope="session")
def base_image(built_image: Built) -> str:
    """The base imported into the private engine."""
    return built_image.base


@pytest.fixture(scope="session")
def watchtower_image(built_image: Built) -> str:
    """The image users run."""
    return built_image.image


def test_the_image_is_recognised_as_watchtower_and_answers(
    docker_api: Any, watchtower_image: str
) -> None:
    config = docker_api.inspect_image(watchtower_image)["Config"]
    assert config["Labels"]["com.centurylinklabs.watchtower"] == "true"
    assert config["Entrypoint"] == ["watchtower"]
    assert config["Healthcheck"]["Test"] == ["CMD", "watchtower", "--health-check"]
    assert image_build.run(docker_api, watchtower_image, ["--version"]).startswith("watchtower ")


def test_the_image_adds_little_to_its_base(
    docker_api: Any, base_image: str, watchtower_image: str
) -> None:
    added = (
        docker_api.inspect_image(watchtower_image)["Size"]
        - (docker_api.inspect_image(base_image)["Size"])
    )
    assert added < 60_000_000, f"the image adds {added / 1e6:.0f} MB to its base"  # README: 46 MB


def _wait_for(
    what: str, check: Callable[[], bool], logs: Callable[[], str], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:g}s; watchtower logged:\n{logs()}")
        time.sleep(0.5)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver().running() as running:
        yield running


def test_the_image_updates_three_containers_then_itself(
    docker_api: Any,
    dockerd: dockerd_support.Dockerd,
    e2e_images: Images,
    e2e_names: Names,
    watchtower_image: str,
    receiver: WebhookReceiver,
) -> None:
    api, scope, port = docker_api, e2e_names("scope"), free_port()
    apps = [e2e_names(f"app{i}") for i in range(3)]
    references = [e2e_images.publish(e2e_names(f"repo{i}"), "v1") for i in range(3)]
    for app, reference in zip(apps, references, strict=True):
        created = api.create_container(
            reference,
            name=app,
            labels={SCOPE_LABEL: scope},
            host_config=api.create_host_config(network_mode="none"),
        )
        api.start(created["Id"])

    self_ref = f"{e2e_images.registry_host}/{e2e_names('watchtower')}:latest"
    api.tag(watchtower_image, self_ref.rpartition(":")[0], "latest")
    push(api, self_ref)
    name = e2e_names("watchtower")
    created = api.create_container(
        self_ref,
        name=name,
        command=[
            # Runs on request only, so that each run sees a whole change.
            "--http-api-update",
            "--http-api-token",
            TOKEN,
            "--http-api-host",
            "127.0.0.1",
            "--http-api-port",
            str(port),
            "--cleanup",
            "--notification-url",
            # JSON with title and message, as shoutrrr posts it when asked.
            f"generic://{receiver.url.removeprefix('http://')}/hook?disabletls=yes&template=json",
            "--notification-template",
            "json.v1",
            "--notification-report",
            "--notifications-level",
            "info",
        ],
        labels={SCOPE_LABEL: scope},  # no --scope: the instance reads its own label
        host_config=api.create_host_config(
            network_mode="host",  # the registry and the receiver are on 127.0.0.1
            binds={str(dockerd.socket): {"bind": "/var/run/docker.sock", "mode": "rw"}},
            restart_policy={"Name": "unless-stopped"},
        ),
    )
    api.start(created["Id"])

    def logs() -> str:
        found = [
            c for c in api.containers(all=True) if any(name in n for n in c.get("Names") or ())
        ]
        return "\n".join(
            f"--- {c['Names'][0]} ({c['State']})\n"
            + api.logs(c["Id"]).decode(errors="replace")[-4000:]
            for c in found
        )

    def image_of(container: str) -> str:
        return str(api.inspect_container(container)["Image"])

    def run(*, wait: bool) -> requests.Response:
        wait_for_port(port, timeout=60)
        return requests.post(
            f"http://127.0.0.1:{port}/v1/update" + ("" if wait else "?async=true"),
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=180,
        )

    # 1. Three stale containers are updated.
    for i in range(3):
        e2e_images.publish(e2e_names(f"repo{i}"), "v2")
    new = e2e_images.build("v2")
    assert run(wait=True).status_code == 200, logs()
    assert all(image_of(app) == new for app in apps), logs()

    # 2. A new watchtower image, while other containers are stale again.
    successor_image = image_build.build_dockerfile(
        api,
        "the next watchtower image",
        fileobj=io.BytesIO(f"FROM {self_ref}\nLABEL org.example.revision=2\n".encode()),
        tag=self_ref,
    )
    push(api, self_ref)
    for i in range(3):
        e2e_images.publish(e2e_names(f"repo{i}"), "v1")
    old = e2e_images.build("v1")
    # Asynchronous: this instance goes away once the run is over.
    assert run(wait=False).status_code == 202, logs()

    def settled() -> bool:
        instances = [
            c
            for c in api.containers(all=True, filters={"label": f"{SCOPE_LABEL}={scope}"})
            if c["Labels"].get("com.centurylinklabs.watchtower") == "true"
        ]
        return (
            len(instances) == 1
            and instances[0]["Names"] == [f"/{name}"]
            and instances[0]["State"] == "running"
            and image_of(name) == successor_image
            and all(image_of(app) == old for app in apps)
        )

    _wait_for("the self-update", settled, logs, 180)
    successor_log = api.logs(name).decode(errors="replace")
    assert "Waiting for the watchtower instance" in successor_log
    assert "did not finish within" not in successor_log  # it stopped by itself, not killed
    for app in apps:
        state = api.inspect_container(app)["State"]
        assert state["Running"], app

    # 3. The predecessor's report reached the receiver: the applications and itself.
    def reported_self() -> bool:
        for request in receiver.requests:
            message = request.json()["message"]
            if not message.startswith("{"):
                continue  # a startup message
            report = json.loads(message)["report"] or {}
            updated = {c["name"] for c in report.get("updated") or ()}
            if updated == {name, *apps}:
                return True
        return False

    _wait_for("the predecessor's report", reported_self, logs, 30)
