"""End to end: a real registry notifies the real command line, which updates within seconds."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from tests.cli.test_cli_e2e import environment, run_container
from tests.support import registry as registry_support
from tests.support.e2e_fixtures import Images, Names
from tests.support.images import push
from tests.support.net import free_port, wait_for_port

pytestmark = pytest.mark.e2e

TOKEN = "push-e2e-token"


@pytest.fixture
def api_port() -> int:
    return free_port()


@pytest.fixture
def notifying_registry(tmp_path: Path, api_port: int) -> Iterator[registry_support.RegistryServer]:
    if not registry_support.available():
        pytest.skip("docker-registry is not installed")
    url = f"http://127.0.0.1:{api_port}/v1/push/registry"
    server = registry_support.RegistryServer.start(
        tmp_path / "registry", notifications=registry_support.notifications_to(url, TOKEN)
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def watchtower(dockerd: Any, e2e_names: Names, api_port: int, tmp_path: Path) -> Iterator[Path]:
    """The command line, polling once an hour, accepting the registry's pushes; its log."""
    log = tmp_path / "watchtower.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "watchtower",
                "--host",
                dockerd.url,
                "--http-api-host",
                "127.0.0.1",
                "--http-api-port",
                str(api_port),
                "--http-api-token",
                TOKEN,
                "--push-sources",
                "registry",
                "--push-poll-interval",
                "1h",
                e2e_names.pattern,
            ],
            env=environment(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(api_port, timeout=60)
        yield log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def publish(api: Any, images: Images, registry: str, repository: str, variant: str) -> str:
    reference = f"{registry}/{repository}:latest"
    api.tag(images.build(variant), f"{registry}/{repository}", "latest")
    push(api, reference)
    return reference


def runs(api: Any, name: str, image: str) -> bool:
    """True when the container ``name`` runs ``image`` (not while it is being replaced)."""
    try:
        state = api.inspect_container(name)
    except docker.errors.NotFound:
        return False
    return bool(state["Image"] == image and state["State"]["Running"])


def wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_push_updates_its_containers_within_seconds_and_asks_for_no_other_image(
    docker_api: Any,
    e2e_images: Images,
    e2e_names: Names,
    notifying_registry: registry_support.RegistryServer,
    watchtower: Path,
) -> None:
    host = notifying_registry.host
    pushed, quiet = e2e_names("pushed"), e2e_names("quiet")
    # These pushes are notified too; no container runs them yet, so nothing runs.
    app = publish(docker_api, e2e_images, host, pushed, "v1")
    other = publish(docker_api, e2e_images, host, quiet, "v1")
    assert wait_for(
        lambda: all(
            re.search(f"No container in scope runs the pushed image: .*{name}:latest", text)
            for text in [watchtower.read_text()]
            for name in (pushed, quiet)
        ),
        20,
    ), watchtower.read_text()
    run_container(docker_api, app, e2e_names("app"))
    run_container(docker_api, other, e2e_names("other"))
    mark = len(notifying_registry.access_log())

    publish(docker_api, e2e_images, host, pushed, "v2")
    pushed_at = time.monotonic()
    new_image = e2e_images.build("v2")
    assert wait_for(lambda: runs(docker_api, e2e_names("app"), new_image), 30), (
        watchtower.read_text()
    )
    latency = time.monotonic() - pushed_at
    assert latency < 10, f"the update took {latency:.1f} s after the push"

    assert wait_for(lambda: "Session done" in watchtower.read_text(), 10)
    log = watchtower.read_text()
    assert log.count("Session done") == 1, log  # the push's run, no scheduled one
    assert docker_api.inspect_container(e2e_names("other"))["Image"] == e2e_images.build("v1")
    since = notifying_registry.access_log()[mark:]
    manifests = [line for line in since if "/manifests/" in line]
    assert any(f"/v2/{pushed}/manifests/" in line for line in manifests)
    assert not [line for line in manifests if f"/v2/{quiet}/" in line], manifests


def test_an_unauthenticated_or_malformed_post_is_refused_and_logged(
    watchtower: Path, api_port: int
) -> None:
    import requests

    url = f"http://127.0.0.1:{api_port}/v1/push/registry"
    assert requests.post(url, data=b'{"events": []}', timeout=10).status_code == 401
    bad = requests.post(url, data=b"{", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert bad.status_code == 400
    assert "not JSON" in bad.json()["error"]
    assert wait_for(lambda: "Refused a registry push: The registry" in watchtower.read_text(), 5)
    log = watchtower.read_text()
    assert len(re.findall("Refused a registry push", log)) == 2, log
    assert "Session done" not in log
