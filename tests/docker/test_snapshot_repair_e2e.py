"""Crash repair on the real engine: an undone update gets its protected volumes back.

The run is the real command line, SIGKILLed by :class:`KillProxy` at a chosen
request; the repair is then the library's, on the same engine.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_e2e import environment
from tests.cli.test_crash_e2e import command
from tests.docker.test_probes_e2e import wait_for
from tests.docker.test_volume_snapshots_e2e import (  # noqa: F401
    filled,
    fingerprint,
    go,
    protected,
    volume,
)
from tests.support.e2e_fixtures import Images, Names
from tests.support.killproxy import KillProxy, proxy_of
from watchtower import UpdateParams
from watchtower._emitter import Emitter
from watchtower.docker import DockerClient
from watchtower.docker.volumes import SNAPSHOT_FOR, snapshots_of
from watchtower.events import Event, Repaired
from watchtower.lanes import ScheduledClient
from watchtower.repair import repair
from watchtower.report import Outcome

pytestmark = [pytest.mark.e2e]

_HELPER = "com.centurylinklabs.watchtower.snapshot-helper"


@pytest.fixture
def proxy(dockerd: Any) -> Iterator[KillProxy]:
    with proxy_of(dockerd.socket, "wt-snap-") as server:
        yield server


@pytest.fixture
def no_helpers_left(docker_api: Any) -> Iterator[None]:
    """Remove the snapshot helpers a killed run leaves behind (created, never started)."""
    yield
    for helper in docker_api.containers(all=True, filters={"label": f"{_HELPER}=true"}):
        docker_api.remove_container(helper["Id"], force=True)


def killed(proxy: KillProxy, tmp_path: Path, name: str, pattern: str) -> None:
    """Run ``watchtower --run-once name`` through the proxy; it dies once the POST is answered."""
    process = subprocess.Popen(
        command(proxy.url, name),
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proxy.arm(process.pid, "POST", pattern, after=True)
    _, err = process.communicate(timeout=120)
    assert proxy.fired.is_set(), (proxy.seen, err)
    assert process.returncode == -signal.SIGKILL


def repaired(client: DockerClient, name: str) -> tuple[tuple[str, ...], list[Event]]:
    events: list[Event] = []
    params = UpdateParams(names=(name,), stop_timeout=timedelta(seconds=2))
    emit = Emitter(events.append, lambda: datetime.now(timezone.utc))
    return repair(ScheduledClient(client), params, emit), events


def test_an_update_killed_after_its_replacement_rewrote_the_volume_is_undone_byte_identical(
    proxy: KillProxy,
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    volume: str,  # noqa: F811
    tmp_path: Path,
    no_helpers_left: None,
) -> None:
    repo, name, image = protected(docker_api, e2e_images, e2e_names, volume)
    old_id = docker_api.inspect_container(name)["Id"]
    docker_api.stop(name, timeout=2)
    before = fingerprint(docker_api, image, volume)
    docker_api.start(name)
    # The engine dates a volume to the second: a snapshot made in the very
    # second its container started is not taken for that start's update.
    time.sleep(1.1)
    e2e_images.publish(repo, "scribblelost2")  # rewrites /data, then fails its probe

    killed(proxy, tmp_path, name, r"/containers/[0-9a-f]{64}/start")
    (snapshot,) = snapshots_of(docker_api, volume)
    assert docker_api.inspect_volume(snapshot)["Labels"][SNAPSHOT_FOR] == old_id
    wait_for(lambda: fingerprint(docker_api, image, volume) != before)  # the replacement wrote

    lines, events = repaired(docker_client, name)

    (line,) = lines
    assert "undone" in line and f"volume {volume} was restored from {snapshot}" in line, line
    assert [e.action for e in events if isinstance(e, Repaired)] == ["undone"]
    assert docker_api.inspect_container(name)["Id"] == old_id
    docker_api.stop(name, timeout=2)
    assert fingerprint(docker_api, image, volume) == before


def test_an_update_killed_while_copying_its_snapshot_restores_nothing_and_says_so(
    proxy: KillProxy,
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    volume: str,  # noqa: F811
    tmp_path: Path,
    no_helpers_left: None,
) -> None:
    repo, name, _ = protected(docker_api, e2e_images, e2e_names, volume)
    old_id = docker_api.inspect_container(name)["Id"]
    time.sleep(1.1)  # as above: the snapshot is dated a second after the start
    e2e_images.publish(repo, "scribblelost2")

    # Killed once the snapshot volume exists, before its copy finished. (The
    # proxy cannot stop at the copy itself: it streams the archive through.)
    killed(proxy, tmp_path, name, r"/volumes/create")
    (snapshot,) = snapshots_of(docker_api, volume)
    (found,) = docker_client.snapshots_for(docker_client.get_container(old_id))
    assert (found.name, found.complete) == (snapshot, False)

    lines, _ = repaired(docker_client, name)

    (line,) = lines
    assert f"volume {volume} was not restored: its snapshot {snapshot} is incomplete" in line
    assert docker_api.inspect_container(name)["Id"] == old_id
    assert docker_api.inspect_container(name)["State"]["Running"]


def test_an_update_finished_by_the_repair_restores_nothing(
    proxy: KillProxy,
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    volume: str,  # noqa: F811
    tmp_path: Path,
    no_helpers_left: None,
) -> None:
    repo, name, image = protected(docker_api, e2e_images, e2e_names, volume)
    time.sleep(1.1)
    e2e_images.publish(repo, "scribble2")  # rewrites /data and serves well

    killed(proxy, tmp_path, name, r"/containers/[0-9a-f]{64}/start")
    new_id = docker_api.inspect_container(name)["Id"]
    wait_for(lambda: "data/added" in fingerprint(docker_api, image, volume)[1])

    lines, _ = repaired(docker_client, name)

    (line,) = lines
    assert "finished" in line and "restored" not in line, line
    assert docker_api.inspect_container(name)["Id"] == new_id
    _, files = fingerprint(docker_api, image, volume)
    assert "data/added" in files and "data/keep" not in files  # what the new one wrote


def test_the_snapshot_of_an_earlier_rolled_back_update_is_never_restored(
    proxy: KillProxy,
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    volume: str,  # noqa: F811
    tmp_path: Path,
    no_helpers_left: None,
) -> None:
    repo, name, image = protected(docker_api, e2e_images, e2e_names, volume)
    old_id = docker_api.inspect_container(name)["Id"]
    time.sleep(1.1)
    e2e_images.publish(repo, "scribblelost2")
    entry = go(docker_client, e2e_names).get(name)
    assert entry.outcome is Outcome.FAILED and entry.rolled_back, entry.reason
    (earlier,) = snapshots_of(docker_api, volume)
    # The old container runs again and writes what no snapshot holds.
    assert docker_api.put_archive(old_id, "/", filled({"later": (b"new rows", 0o600, 0, 0)}))

    # The next update dies once the old container stopped, before its snapshot.
    killed(proxy, tmp_path, name, rf"/containers/{old_id}/stop")
    assert snapshots_of(docker_api, volume) == [earlier]

    lines, _ = repaired(docker_client, name)

    (line,) = lines
    assert "undone" in line and "restored" not in line, line
    docker_api.stop(name, timeout=2)
    _, files = fingerprint(docker_api, image, volume)
    assert "data/later" in files  # the earlier snapshot, which lacks it, was not restored
