"""A replacement's probes and soak on the real engines: a failure rolls back, a pass stays.

The containers run on the host's network, so their own address is the
host's loopback and the probes reach them on a port of this test's own.
"""

from __future__ import annotations

import socket
import time
import urllib.request
from datetime import timedelta
from typing import Any

import pytest

from tests.support.e2e_fixtures import ON_EVERY_ENGINE, Images, Names
from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.docker import DockerClient
from watchtower.events import Event, Failed
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome

pytestmark = [pytest.mark.e2e, ON_EVERY_ENGINE]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serving(
    api: Any, images: Images, names: Names, labels: dict[str, str], **host: Any
) -> tuple[str, str, int, str]:
    """A running ``serve1`` container on the host's network: (repository, name, port, id)."""
    repo, name, port = names("probed"), names("probed"), free_port()
    image = images.publish(repo, "serve1")
    labels = {key: value.replace("PORT", str(port)) for key, value in labels.items()}
    created = api.create_container(
        image,
        name=name,
        environment={"PORT": str(port)},
        labels=labels,
        host_config=api.create_host_config(network_mode="host", **host),
    )
    api.start(created["Id"])
    wait_for(lambda: answer(port) == 200)
    return repo, name, port, str(created["Id"])


def answer(port: int) -> int:
    """The status of GET /health on the port; 0 when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def wait_for(condition: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def go(client: DockerClient, names: Names, events: list[Event]) -> Any:
    params = UpdateParams(names=(names.pattern,), stop_timeout=timedelta(seconds=2))
    return update(client, HttpRegistry(), params, observer=events.append)


def the_old_one_runs_again(api: Any, name: str, old_id: str) -> None:
    inspect = api.inspect_container(name)
    assert inspect["Id"] == old_id and inspect["State"]["Running"]
    assert [c for c in api.containers(all=True, filters={"name": name})] == [
        c for c in api.containers(all=True) if c["Id"] == old_id
    ]


def test_a_replacement_whose_probe_fails_is_rolled_back(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    repo, name, port, old_id = serving(
        docker_api,
        e2e_images,
        e2e_names,
        {L.PROBE_HTTP: "http://:PORT/health", L.PROBE_TIMEOUT: "3s"},
    )
    e2e_images.publish(repo, "lost2")
    events: list[Event] = []
    started = time.monotonic()
    entry = go(docker_client, e2e_names, events).get(name)
    assert entry.outcome is Outcome.FAILED and entry.rolled_back
    assert entry.reason == (
        f"its replacement failed a check: probe http://:{port}/health answered 404, "
        "until its 3 s timeout; the old container runs again"
    )
    assert time.monotonic() - started < 30
    assert [e.step for e in events if isinstance(e, Failed)] == ["verify"]
    the_old_one_runs_again(docker_api, name, old_id)
    wait_for(lambda: answer(port) == 200)  # v1 serves again, on its port


@pytest.mark.parametrize(
    ("probe", "said"),
    [
        (
            {L.PROBE_TCP: "1"},  # nothing listens on port 1 of the host's loopback
            "probe tcp:1 got no answer (connection refused), until its 2 s timeout",
        ),
        (
            {L.PROBE_CMD: "exit 3"},
            "probe command 'exit 3' exited with code 3, until its 2 s timeout",
        ),
    ],
    ids=["tcp", "cmd"],
)
def test_a_failed_tcp_or_command_probe_is_told_as_the_guide_shows(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    probe: dict[str, str],
    said: str,
) -> None:
    """The words docs/guides/probes.rst quotes for these probes."""
    repo, name, _, old_id = serving(
        docker_api, e2e_images, e2e_names, {**probe, L.PROBE_TIMEOUT: "2s"}
    )
    e2e_images.publish(repo, "serve2")
    events: list[Event] = []
    entry = go(docker_client, e2e_names, events).get(name)
    assert entry.outcome is Outcome.FAILED and entry.rolled_back
    assert entry.reason == (f"its replacement failed a check: {said}; the old container runs again")
    assert [e.step for e in events if isinstance(e, Failed)] == ["verify"]
    the_old_one_runs_again(docker_api, name, old_id)


def test_a_replacement_that_exits_within_its_soak_is_rolled_back(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    repo, name, _, old_id = serving(docker_api, e2e_images, e2e_names, {L.SOAK: "10s"})
    e2e_images.publish(repo, "exits2")
    entry = go(docker_client, e2e_names, []).get(name)
    assert entry.outcome is Outcome.FAILED and entry.rolled_back
    prefix = "its replacement failed a check: exited with code 1 after "
    assert entry.reason.startswith(prefix), entry.reason
    after = float(entry.reason.removeprefix(prefix).split(" ")[0])
    assert 4.5 <= after < 7.0, entry.reason
    assert entry.reason.endswith(" s within the 10 s soak; the old container runs again")
    the_old_one_runs_again(docker_api, name, old_id)


def test_a_replacement_in_a_restart_loop_is_rolled_back(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    repo, name, _, old_id = serving(
        docker_api, e2e_images, e2e_names, {L.SOAK: "10s"}, restart_policy={"Name": "always"}
    )
    e2e_images.publish(repo, "exits2")  # its engine starts it again after each exit
    entry = go(docker_client, e2e_names, []).get(name)
    assert entry.outcome is Outcome.FAILED and entry.rolled_back
    # Between its exit and its restart the engine shows it exited (Podman for a
    # while, Docker for an instant): whichever the soak saw first is told.
    assert entry.reason.startswith(
        (
            "its replacement failed a check: restarted after ",
            "its replacement failed a check: exited with code 1 after ",
        )
    ), entry.reason
    assert "s within the 10 s soak; the old container runs again" in entry.reason
    the_old_one_runs_again(docker_api, name, old_id)


def test_a_log_line_matching_the_fail_pattern_rolls_back(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    repo, name, port, old_id = serving(
        docker_api,
        e2e_images,
        e2e_names,
        {
            L.PROBE_HTTP: "http://container:PORT/health",
            L.SOAK: "60s",
            L.FAIL_PATTERN: "FATAL|panic:",
        },
    )
    e2e_images.publish(repo, "fatal2")
    started = time.monotonic()
    entry = go(docker_client, e2e_names, []).get(name)
    assert time.monotonic() - started < 30  # the line is seen as it comes, not at the soak's end
    assert entry.reason == (
        "its replacement failed a check: log line matched 'FATAL|panic:'; "
        "the old container runs again"
    )
    the_old_one_runs_again(docker_api, name, old_id)
    wait_for(lambda: answer(port) == 200)


def test_a_good_replacement_passes_its_probe_and_soak_and_replaces_the_old_one(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    repo, name, port, old_id = serving(
        docker_api,
        e2e_images,
        e2e_names,
        {
            L.PROBE_HTTP: "http://:PORT/health",
            L.PROBE_TCP: "PORT",
            L.PROBE_CMD: "test -f /tmp/www/health",
            L.SOAK: "3s",
            L.FAIL_PATTERN: "FATAL",
        },
    )
    new_image = e2e_images.publish(repo, "serve2")
    started = time.monotonic()
    entry = go(docker_client, e2e_names, []).get(name)
    assert entry.outcome is Outcome.UPDATED, entry.reason
    assert time.monotonic() - started >= 3.0  # the soak was waited out
    inspect = docker_api.inspect_container(name)
    assert inspect["Id"] == entry.new_id != old_id and inspect["State"]["Running"]
    assert inspect["Image"] == docker_api.inspect_image(new_image)["Id"]
    assert not [c for c in docker_api.containers(all=True) if c["Id"] == old_id]
    assert answer(port) == 200
